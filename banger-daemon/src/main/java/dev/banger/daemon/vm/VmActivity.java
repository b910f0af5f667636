package dev.banger.daemon.vm;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What bangerd itself sees of a VM's use, for the idle stop: exec sessions (vm exec, vm run, the
 * shell of vm ssh's exec fallback) open now and when the last one ended; and, written by the
 * poller, when the VM will be stopped if nothing happens ({@code vm show}). In memory only: a
 * restarted bangerd starts every VM's idle time afresh, which can only make a stop later.
 */
final class VmActivity {
    private final Clock clock;
    private final Map<String, Integer> openExecs = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastExecEnded = new ConcurrentHashMap<>();
    private final Map<String, Instant> stopAt = new ConcurrentHashMap<>();

    VmActivity(Clock clock) {
        this.clock = clock;
    }

    void execStarted(String vmId) {
        openExecs.merge(vmId, 1, Integer::sum);
    }

    void execEnded(String vmId) {
        lastExecEnded.put(vmId, clock.instant());
        openExecs.computeIfPresent(vmId, (id, n) -> n <= 1 ? null : n - 1);
    }

    int openExecs(String vmId) {
        return openExecs.getOrDefault(vmId, 0);
    }

    Optional<Instant> lastExecEnded(String vmId) {
        return Optional.ofNullable(lastExecEnded.get(vmId));
    }

    void setStopAt(String vmId, Instant at) {
        if (at == null) stopAt.remove(vmId);
        else stopAt.put(vmId, at);
    }

    Optional<Instant> stopAt(String vmId) {
        return Optional.ofNullable(stopAt.get(vmId));
    }
}
