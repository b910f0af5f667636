package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The VMM's CPU time from /proc/<pid>/stat, and the percentage vm stats prints. */
class ProcStatTest {
    // utime 1234 and stime 567 are fields 14 and 15.
    private static final String QEMU = "4242 (qemu-system-x86) S 1 4241 4241 0 -1 4194624 51512 0 3 0 1234 567 0 0 20 0 4 0 "
            + "459289 1377005568 39170 18446744073709551615 1 1 0 0 0 0 0 4096 17127 0 0 0 17 1 0 0 0 0 0";

    @Test
    void utimePlusStimeCountedFromTheLastParenthesis() {
        assertThat(ProcStat.cpuTicks(QEMU)).isEqualTo(1234 + 567);
        // a comm with spaces and a ')' of its own shifts nothing
        assertThat(ProcStat.cpuTicks(QEMU.replace("(qemu-system-x86)", "(a b) c)"))).isEqualTo(1234 + 567);
        assertThatThrownBy(() -> ProcStat.cpuTicks("4242 qemu S 1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStat.cpuTicks("4242 (qemu) S 1 2 3")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void percentOfOneCpuOverTheWindow() {
        long halfSecond = 500_000_000L;
        assertThat(ProcStat.percent(100, 125, halfSecond)).isEqualTo(50.0);   // 0.25 s of CPU in 0.5 s
        assertThat(ProcStat.percent(100, 200, halfSecond)).isEqualTo(200.0);  // two busy vCPUs
        assertThat(ProcStat.percent(100, 100, halfSecond)).isZero();
        assertThat(ProcStat.percent(100, 90, halfSecond)).as("never negative").isZero();
        assertThat(ProcStat.percent(100, 150, 0)).isZero();
    }
}
