package dev.banger.daemon.vm;

import dev.banger.core.ProgressSink;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs start steps in order (seed 003). On the first failure, rolls back every step that ran,
 * in reverse, including the failing one (it may have acquired something before failing).
 * Rollback runs with the caller's interruption cleared, like the seeds' detached context: a
 * client that disconnected cancels the start, but the cleanup still happens. Undo errors are
 * joined onto the original error, never swallowed and never stopping the rest of the rollback.
 * An optional last rollback action runs after every undo, whichever step failed (the features'
 * cleanup, which must be idempotent).
 */
final class StartPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(StartPipeline.class);

    /** Test hook: makes the named step fail right after its run, so its own undo must clean up. */
    private final String faultAfterStep;
    /** Test hook: the daemon dies (no rollback, no shutdown hooks, as under SIGKILL) right after the named point. */
    private final CrashPoints crashPoints;

    StartPipeline(String faultAfterStep) {
        this(faultAfterStep, CrashPoints.NONE);
    }

    StartPipeline(String faultAfterStep, CrashPoints crashPoints) {
        this.faultAfterStep = faultAfterStep == null || faultAfterStep.isBlank() ? null : faultAfterStep;
        this.crashPoints = crashPoints;
    }

    void run(List<StartStep> steps, StartContext ctx, ProgressSink progress) throws Exception {
        run(steps, null, ctx, progress);
    }

    /** {@code lastRollback}: run at the end of every rollback (null: none); its error is attached like an undo's. */
    void run(List<StartStep> steps, StartStep lastRollback, StartContext ctx, ProgressSink progress) throws Exception {
        List<StartStep> done = new ArrayList<>();
        for (StartStep step : steps) {
            if (step.stage() != null) progress.report(step.stage(), step.detail());
            LOG.debug("vm {} step {}", ctx.vm().id(), step.name());
            done.add(step);
            try {
                if (Thread.currentThread().isInterrupted()) throw new InterruptedException("cancelled before " + step.name());
                step.run().apply(ctx);
                crashPoints.reached(step.name());
                if (step.name().equals(faultAfterStep)) {
                    throw new InjectedFault("injected fault after step " + step.name());
                }
            } catch (Exception e) {
                boolean interrupted = Thread.interrupted();
                try {
                    if (lastRollback != null) done.addFirst(lastRollback);
                    rollback(done, ctx, e);
                } finally {
                    if (interrupted) Thread.currentThread().interrupt();
                }
                throw e;
            }
        }
    }

    private void rollback(List<StartStep> done, StartContext ctx, Exception cause) {
        for (int i = done.size() - 1; i >= 0; i--) {
            StartStep step = done.get(i);
            if (step.undo() == null) continue;
            try {
                LOG.debug("vm {} rollback {}", ctx.vm().id(), step.name());
                step.undo().apply(ctx);
            } catch (Exception undoError) {
                LOG.warn("vm {} rollback {} failed: {}", ctx.vm().id(), step.name(), undoError.toString());
                cause.addSuppressed(new RollbackException("rollback " + step.name() + ": " + undoError.getMessage(), undoError));
            }
        }
    }

    static final class InjectedFault extends Exception {
        InjectedFault(String message) {
            super(message);
        }
    }

    static final class RollbackException extends Exception {
        RollbackException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
