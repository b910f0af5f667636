package dev.banger.daemon.vmm;

import java.time.Duration;

/**
 * A VMM process by its identity, not just its PID: {@code marker} is the string its command line
 * must contain for the PID to count as ours (a recycled PID never does). Built by the driver
 * ({@link Vmm#process}), which knows what marks its processes.
 */
public record VmmProcess(long pid, String marker) {
    /** Alive and still ours. */
    public boolean alive() {
        return ProcessIdentity.matches(pid, marker);
    }

    /** True once the process is gone (or was never ours); false when the timeout passed first. */
    public boolean waitGone(Duration timeout) throws InterruptedException {
        return ProcessIdentity.waitGone(pid, marker, timeout);
    }
}
