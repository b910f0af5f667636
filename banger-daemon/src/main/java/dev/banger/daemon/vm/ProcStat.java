package dev.banger.daemon.vm;

import dev.banger.daemon.vmm.VmmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** A host process's CPU time from its {@code /proc/<pid>/stat} line. */
final class ProcStat {
    /**
     * The clock ticks /proc counts in. Linux fixes USER_HZ at 100 for user space on every
     * architecture banger runs on (x86-64, arm64), whatever the kernel's internal HZ.
     */
    static final int TICKS_PER_SECOND = 100;

    private ProcStat() { }

    /**
     * The VMM's CPU ticks, read only while the PID is still this VM's VMM (a recycled PID is not:
     * the line is read first, then the identity checked); empty when its /proc entry is gone.
     */
    static OptionalLong cpuTicks(VmmProcess process) {
        try {
            String line = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            return process.alive() ? OptionalLong.of(cpuTicks(line)) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * utime + stime, in ticks. The second field (comm) is in parentheses and may hold spaces or ')',
     * so the fields are counted from the last ')': after it come state (field 3), ..., utime (14), stime (15).
     */
    static long cpuTicks(String statLine) {
        int close = statLine.lastIndexOf(')');
        if (close < 0) throw new IllegalArgumentException("not a /proc/<pid>/stat line");
        String[] f = statLine.substring(close + 1).strip().split("\\s+");
        if (f.length < 13) throw new IllegalArgumentException("short /proc/<pid>/stat line");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** CPU used between two samples as a percentage of one CPU (two busy vCPUs read 200). */
    static double percent(long ticksBefore, long ticksAfter, long elapsedNanos) {
        if (elapsedNanos <= 0) return 0;
        double cpuSeconds = (ticksAfter - ticksBefore) / (double) TICKS_PER_SECOND;
        return Math.max(0, cpuSeconds / (elapsedNanos / 1e9) * 100);
    }
}
