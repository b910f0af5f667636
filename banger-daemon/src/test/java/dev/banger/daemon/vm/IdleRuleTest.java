package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The idle stop's decision over made-up samples and a made-up clock (no VM needed for the rule itself). */
class IdleRuleTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration IDLE = Duration.ofSeconds(20);
    private static final double THRESHOLD = 10.0;

    private static IdleRule.Sample quiet() {
        return new IdleRule.Sample(0, null, 0, 1.0);
    }

    private static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    @Test
    void aQuietVmIsStoppedOnceItsWholeDurationHasPassedAndNotBefore() {
        IdleRule.Verdict first = IdleRule.judge(null, at(0), quiet(), THRESHOLD, IDLE);
        assertThat(first.stop()).isFalse();
        assertThat(first.stopAt()).isEqualTo(at(20));
        IdleRule.Verdict almost = IdleRule.judge(first.lastActive(), at(19), quiet(), THRESHOLD, IDLE);
        assertThat(almost.stop()).isFalse();
        assertThat(almost.stopAt()).as("quiet polls do not move the stop").isEqualTo(at(20));
        assertThat(IdleRule.judge(almost.lastActive(), at(20), quiet(), THRESHOLD, IDLE).stop()).isTrue();
    }

    @Test
    void theFirstPollHasNoCpuFigureAndCountsAsBusy() {
        IdleRule.Verdict v = IdleRule.judge(at(-100), at(0), new IdleRule.Sample(0, null, 0, null), THRESHOLD, IDLE);
        assertThat(v.stop()).isFalse();
        assertThat(v.lastActive()).isEqualTo(at(0));
        assertThat(v.busy()).containsExactly("CPU not measured yet");
    }

    @Test
    void anOpenExecKeepsTheVmHoweverLongItRuns() {
        IdleRule.Verdict v = IdleRule.judge(at(0), at(600), new IdleRule.Sample(1, null, 0, 0.5), THRESHOLD, IDLE);
        assertThat(v.stop()).isFalse();
        assertThat(v.stopAt()).isEqualTo(at(620));
        assertThat(v.busy()).containsExactly("1 exec session(s) open");
    }

    @Test
    void anExecThatEndedBetweenPollsCountsFromWhenItEnded() {
        IdleRule.Verdict v = IdleRule.judge(at(0), at(30), new IdleRule.Sample(0, at(25), 0, 0.5), THRESHOLD, IDLE);
        assertThat(v.stop()).isFalse();
        assertThat(v.lastActive()).isEqualTo(at(25));
        assertThat(v.stopAt()).isEqualTo(at(45));
    }

    @Test
    void anOpenTcpConnectionAnSshSessionSayKeepsTheVm() {
        IdleRule.Verdict v = IdleRule.judge(at(0), at(60), new IdleRule.Sample(0, null, 1, 0.5), THRESHOLD, IDLE);
        assertThat(v.stop()).isFalse();
        assertThat(v.busy()).containsExactly("1 TCP connection(s) open");
    }

    @Test
    void cpuAtTheThresholdIsBusyAndBelowItIsNot() {
        assertThat(IdleRule.judge(at(0), at(60), new IdleRule.Sample(0, null, 0, 10.0), THRESHOLD, IDLE).stop()).isFalse();
        assertThat(IdleRule.judge(at(0), at(60), new IdleRule.Sample(0, null, 0, 9.9), THRESHOLD, IDLE).stop()).isTrue();
    }

    @Test
    void connectionsTheVmmCannotCountAreNotActivity() {
        assertThat(IdleRule.judge(at(0), at(60), new IdleRule.Sample(0, null, -1, 0.5), THRESHOLD, IDLE).stop()).isTrue();
    }
}
