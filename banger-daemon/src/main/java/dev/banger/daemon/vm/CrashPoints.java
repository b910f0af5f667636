package dev.banger.daemon.vm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test hook for crash safety ({@code BANGER_CRASH_AFTER=<point>}): when the named point is reached
 * the daemon halts at once, running no rollback, no finally blocks and no shutdown hooks, which is
 * what the disk sees after a SIGKILL. Points are the start steps' names plus the few places inside a
 * step where a crash leaves something different behind (see {@link #VMM_STARTED}).
 *
 * <p>Unit tests cannot halt their own JVM, so {@link #simulated} stops the start dead with a
 * {@link SimulatedCrash} instead: an {@link Error}, which no {@code catch (Exception)} on the start's
 * path handles, so neither the pipeline's rollback nor the failed start's row update runs; the test
 * then abandons that VmService and reconciles with a new one, as a restarted bangerd would.
 */
public final class CrashPoints {
    public static final CrashPoints NONE = new CrashPoints(null, false);
    /** The VMM process exists (its pidfile is written) but handles.json and the row do not name it yet. */
    static final String VMM_STARTED = "vmm_started";

    private static final Logger LOG = LoggerFactory.getLogger(CrashPoints.class);

    private final String point;
    /** True: throw {@link SimulatedCrash} (tests in one JVM); false: halt the JVM (bangerd). */
    private final boolean simulated;

    private CrashPoints(String point, boolean simulated) {
        this.point = point;
        this.simulated = simulated;
    }

    public static CrashPoints fromEnvironment(String value) {
        return value == null || value.isBlank() ? NONE : new CrashPoints(value.strip(), false);
    }

    /** For tests in one JVM: the start stops dead at {@code point} with a {@link SimulatedCrash}. */
    static CrashPoints simulated(String point) {
        return new CrashPoints(point, true);
    }

    void reached(String name) {
        if (point == null || !point.equals(name)) return;
        if (simulated) throw new SimulatedCrash(name);
        LOG.warn("BANGER_CRASH_AFTER={}: halting the daemon as if it were SIGKILLed", name);
        Runtime.getRuntime().halt(137);
    }

    /** A simulated SIGKILL: an Error so that no rollback (every one catches Exception) runs on its way up. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String point) {
            super("simulated crash after " + point, null, false, false);
        }
    }
}
