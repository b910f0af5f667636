package dev.banger.daemon.vm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test hook for crash safety ({@code BANGER_CRASH_AFTER=<point>}): when the named point is reached
 * the daemon halts at once, running no rollback, no finally blocks and no shutdown hooks, which is
 * what the disk sees after a SIGKILL. Points are the start steps' names plus the few places inside a
 * step where a crash leaves something different behind (see {@link #VMM_STARTED}).
 */
public record CrashPoints(String point) {
    public static final CrashPoints NONE = new CrashPoints(null);
    /** The VMM process exists (its pidfile is written) but handles.json and the row do not name it yet. */
    static final String VMM_STARTED = "vmm_started";

    private static final Logger LOG = LoggerFactory.getLogger(CrashPoints.class);

    public static CrashPoints fromEnvironment(String value) {
        return value == null || value.isBlank() ? NONE : new CrashPoints(value.strip());
    }

    void reached(String name) {
        if (point != null && point.equals(name)) {
            LOG.warn("BANGER_CRASH_AFTER={}: halting the daemon as if it were SIGKILLed", name);
            Runtime.getRuntime().halt(137);
        }
    }
}
