package dev.banger.daemon.vm;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The idle stop's decision, with no clock or I/O of its own (unit-tested with made-up samples).
 * A VM is busy at a poll when an exec session is open, a TCP connection is open through its user
 * network, its VMM used at least the CPU threshold since the previous poll, or its CPU could not be
 * measured yet (the first poll of a VM). Busy moves its last-active time to now; an exec session
 * that ended since counts as activity at the moment it ended. It is stopped once it has been idle
 * for its whole idle-stop duration.
 */
final class IdleRule {
    private IdleRule() { }

    /**
     * One poll's view of a VM. {@code lastExecEnded} and {@code cpuPercent} may be null (never /
     * not measured yet); {@code connections} is -1 when the VMM cannot tell.
     */
    record Sample(int openExecs, Instant lastExecEnded, int connections, Double cpuPercent) { }

    /** {@code busy}: why the VM counted as active at this poll (empty when it did not). */
    record Verdict(Instant lastActive, Instant stopAt, boolean stop, List<String> busy) { }

    static Verdict judge(Instant previousLastActive, Instant now, Sample s, double cpuThresholdPercent, Duration idleStop) {
        List<String> busy = new ArrayList<>();
        if (s.openExecs() > 0) busy.add(s.openExecs() + " exec session(s) open");
        if (s.connections() > 0) busy.add(s.connections() + " TCP connection(s) open");
        if (s.cpuPercent() == null) busy.add("CPU not measured yet");
        else if (s.cpuPercent() >= cpuThresholdPercent) busy.add(String.format("CPU %.1f%%", s.cpuPercent()));
        Instant lastActive = previousLastActive == null ? now : previousLastActive;
        if (!busy.isEmpty()) lastActive = now;
        if (s.lastExecEnded() != null && s.lastExecEnded().isAfter(lastActive)) lastActive = s.lastExecEnded();
        if (lastActive.isAfter(now)) lastActive = now;
        Instant stopAt = lastActive.plus(idleStop);
        return new Verdict(lastActive, stopAt, busy.isEmpty() && !now.isBefore(stopAt), List.copyOf(busy));
    }
}
