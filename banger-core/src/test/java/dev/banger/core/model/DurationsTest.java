package dev.banger.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --idle-stop's durations, and the spec field they end up in. */
class DurationsTest {
    @Test
    void parsesSecondsMinutesHoursAndSums() {
        assertThat(Durations.parseSeconds("90s")).isEqualTo(90);
        assertThat(Durations.parseSeconds("30m")).isEqualTo(1800);
        assertThat(Durations.parseSeconds("2h")).isEqualTo(7200);
        assertThat(Durations.parseSeconds("1h30m")).isEqualTo(5400);
        assertThat(Durations.parseSeconds(" 20S ")).isEqualTo(20);
        assertThat(Durations.parseSeconds("off")).isZero();
        assertThat(Durations.parseSeconds("0")).isZero();
    }

    @Test
    void refusesWhatIsNotADuration() {
        for (String bad : List.of("", "20", "1d", "-5m", "5 m", "m", "0s", "1.5h", "31d", "721h", "99999999999999999999s")) {
            assertThatThrownBy(() -> Durations.parseSeconds(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void formatsTheShortestSpellingThatParsesBack() {
        assertThat(Durations.format(20)).isEqualTo("20s");
        assertThat(Durations.format(1800)).isEqualTo("30m");
        assertThat(Durations.format(7200)).isEqualTo("2h");
        assertThat(Durations.format(5400)).isEqualTo("1h30m");
        assertThat(Durations.format(3605)).isEqualTo("1h0m5s");
        assertThat(Durations.format(0)).isEqualTo("off");
        for (long s : new long[] {1, 59, 61, 3599, 3600, 3605, 86_399}) {
            assertThat(Durations.parseSeconds(Durations.format(s))).isEqualTo(s);
        }
    }

    @Test
    void theSpecKeepsItsOldShapeWhenOffAndCarriesTheIdleStopThroughWithers() throws Exception {
        String old = "{\"vcpu\":1,\"memory_mib\":512,\"work_disk_bytes\":2147483648}";
        VmSpec spec = Json.MAPPER.readValue(old, VmSpec.class);
        assertThat(spec.idleStopSeconds()).isZero();
        assertThat(Json.MAPPER.writeValueAsString(spec)).isEqualTo(old);
        VmSpec idle = spec.withIdleStopSeconds(20);
        assertThat(Json.MAPPER.writeValueAsString(idle)).contains("\"idle_stop_seconds\":20");
        assertThat(idle.withNat(true).withDiskSizes(8L << 30, 4L << 30).withPortForwards(List.of()).idleStopSeconds()).isEqualTo(20);
        assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(idle), VmSpec.class)).isEqualTo(idle);
    }
}
