package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmSpec;
import dev.banger.core.model.VmState;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The start pipeline's contract (docs/architecture.md, "The start pipeline"): steps run in order;
 * on the first failure every step that ran is undone in reverse, the failing one included; undo
 * errors ride on the original error and never stop the rollback; the rollback runs with the
 * caller's interruption cleared and the flag is put back; BANGER_FAULT_AFTER_STEP fails right
 * after the named step. One shared log records runs, undos and progress in the order they happen.
 */
class StartPipelineTest {
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final StartContext ctx = new StartContext(new VmRecord("0123456789abcdef", "t", "img", VmState.CREATED,
            Instant.now(), Instant.now(), new VmSpec(1, 512, 1L << 30), new VmRuntime("172.30.0.10", "t.vm", "/tmp/x",
            null, null, null, null, null, null, null, null, null, null, null, null)), null, null);
    private final ProgressSink progress = (stage, detail) -> log.add("progress " + stage + ": " + detail);

    @AfterEach
    void clearInterruptFlag() {
        Thread.interrupted();   // a failing assertion must not leak the flag into the next test
    }

    private StartStep ok(String name) {
        return StartStep.of(name, "stage_" + name, "doing " + name, c -> log.add("run " + name))
                .withUndo(c -> log.add("undo " + name));
    }

    private StartStep failing(String name, Exception error) {
        return StartStep.of(name, null, null, c -> {
            log.add("run " + name);
            throw error;
        }).withUndo(c -> log.add("undo " + name));
    }

    private StartStep undoFails(String name, String undoMessage) {
        return StartStep.of(name, null, null, c -> log.add("run " + name)).withUndo(c -> {
            log.add("undo " + name);
            throw new IOException(undoMessage);
        });
    }

    private Throwable run(String faultAfter, List<StartStep> steps) {
        return catchThrowable(() -> new StartPipeline(faultAfter).run(steps, ctx, progress));
    }

    @Test
    void aSuccessfulStartRunsEveryStepInOrderReportsEachStageFirstAndUndoesNothing() {
        StartStep hidden = StartStep.of("hidden", null, null, c -> log.add("run hidden")).withUndo(c -> log.add("undo hidden"));
        assertThat(run(null, List.of(ok("a"), hidden, ok("b")))).isNull();
        assertThat(log).containsExactly("progress stage_a: doing a", "run a", "run hidden", "progress stage_b: doing b", "run b");
    }

    @Test
    void rollsBackInReverseIncludingTheFailingStepAndNeverRunsTheRest() {
        IOException cause = new IOException("c failed");
        StartStep noUndo = StartStep.of("b", null, null, c -> log.add("run b"));
        Throwable thrown = run(null, List.of(ok("a"), noUndo, failing("c", cause), ok("d")));
        assertThat(thrown).as("the step's own error, not a wrapper").isSameAs(cause);
        assertThat(thrown.getSuppressed()).isEmpty();
        assertThat(log).containsExactly("progress stage_a: doing a", "run a", "run b", "run c", "undo c", "undo a");
    }

    @Test
    void undoErrorsAreAttachedAsSuppressedInRollbackOrderAndDoNotStopTheRollback() {
        IOException cause = new IOException("d failed");
        Throwable thrown = run(null, List.of(ok("a"), undoFails("x", "cannot undo x"), undoFails("y", "cannot undo y"),
                failing("d", cause)));
        assertThat(thrown).isSameAs(cause);
        assertThat(log).containsExactly("progress stage_a: doing a", "run a", "run x", "run y", "run d",
                "undo d", "undo y", "undo x", "undo a");
        assertThat(thrown.getSuppressed()).hasSize(2);
        assertThat(thrown.getSuppressed()).extracting(Throwable::getMessage)
                .containsExactly("rollback y: cannot undo y", "rollback x: cannot undo x");
        assertThat(thrown.getSuppressed()).allSatisfy(s -> assertThat(s.getCause()).isInstanceOf(IOException.class));
        assertThat(thrown.getSuppressed()[0].getCause()).hasMessage("cannot undo y");
    }

    @Test
    void theFailingStepsOwnUndoErrorIsAttachedToo() {
        IOException cause = new IOException("half-acquired");
        StartStep step = StartStep.of("z", null, null, c -> {
            throw cause;
        }).withUndo(c -> {
            throw new IOException("undo of z broke");
        });
        Throwable thrown = run(null, List.of(ok("a"), step));
        assertThat(thrown).isSameAs(cause);
        assertThat(thrown.getSuppressed()).extracting(Throwable::getMessage).containsExactly("rollback z: undo of z broke");
        assertThat(log).endsWith("undo a");
    }

    @Test
    void rollbackRunsWithInterruptionClearedAndTheFlagIsRestoredAfterwards() {
        List<String> seenDuringUndo = Collections.synchronizedList(new ArrayList<>());
        StartStep earlier = StartStep.of("a", null, null, c -> { })
                .withUndo(c -> {
                    seenDuringUndo.add("a interrupted=" + Thread.currentThread().isInterrupted());
                    Thread.sleep(1);   // would throw InterruptedException if the flag were still set
                    seenDuringUndo.add("a slept");
                });
        StartStep cancelled = StartStep.of("boot", null, null, c -> {
            Thread.currentThread().interrupt();   // what the RPC server does when the client disconnects
            throw new InterruptedException("caller went away");
        }).withUndo(c -> seenDuringUndo.add("boot interrupted=" + Thread.currentThread().isInterrupted()));
        Throwable thrown = run(null, List.of(earlier, cancelled));
        assertThat(thrown).isInstanceOf(InterruptedException.class).hasMessage("caller went away");
        assertThat(thrown.getSuppressed()).isEmpty();
        assertThat(seenDuringUndo).containsExactly("boot interrupted=false", "a interrupted=false", "a slept");
        assertThat(Thread.interrupted()).as("the caller's interruption is given back").isTrue();
    }

    @Test
    void anInterruptionBeforeAStepStopsThereAndRollsBackWhatRan() {
        StartStep interrupter = StartStep.of("a", null, null, c -> {
            log.add("run a");
            Thread.currentThread().interrupt();   // the client went away while a was running; a itself finished
        }).withUndo(c -> log.add("undo a interrupted=" + Thread.currentThread().isInterrupted()));
        Throwable thrown = run(null, List.of(interrupter, ok("b"), ok("c")));
        assertThat(thrown).isInstanceOf(InterruptedException.class).hasMessage("cancelled before b");
        assertThat(log).doesNotContain("run b", "run c").contains("undo a interrupted=false");
        assertThat(Thread.interrupted()).isTrue();
    }

    @Test
    void anInjectedFaultFailsRightAfterTheNamedStepAndRunsThatStepsUndo() {
        Throwable thrown = run("b", List.of(ok("a"), ok("b"), ok("c")));
        assertThat(thrown).isInstanceOf(StartPipeline.InjectedFault.class).hasMessage("injected fault after step b");
        assertThat(log).containsExactly("progress stage_a: doing a", "run a", "progress stage_b: doing b", "run b",
                "undo b", "undo a");
    }

    @Test
    void aBlankFaultNameInjectsNothing() {
        assertThat(run(" ", List.of(ok("a")))).isNull();
        assertThat(run("no-such-step", List.of(ok("b")))).isNull();
        assertThat(log).doesNotContain("undo a", "undo b");
    }
}
