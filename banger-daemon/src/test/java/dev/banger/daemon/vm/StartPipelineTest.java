package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmSpec;
import dev.banger.core.model.VmState;
import java.time.Instant;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StartPipelineTest {
    final List<String> log = new ArrayList<>();
    final StartContext ctx = new StartContext(new VmRecord("0123456789abcdef", "t", "img", VmState.CREATED, Instant.now(), Instant.now(),
            new VmSpec(1, 512, 1L << 30), new VmRuntime("172.30.0.10", "t.vm", "/tmp/x", null, null, null, null, null, null,
            null, null, null, null, null, null)), null, null);

    StartStep step(String name, boolean fail) {
        return StartStep.of(name, "stage_" + name, name, c -> {
            log.add("run " + name);
            if (fail) throw new IOException(name + " failed");
        }).withUndo(c -> log.add("undo " + name));
    }

    @Test
    void rollsBackInReverseIncludingTheFailingStep() {
        List<StartStep> steps = List.of(step("a", false), StartStep.of("b", null, null, c -> log.add("run b")),
                step("c", true), step("d", false));
        assertThatThrownBy(() -> new StartPipeline(null).run(steps, ctx, ProgressSink.NONE)).hasMessage("c failed");
        assertThat(log).containsExactly("run a", "run b", "run c", "undo c", "undo a");
    }

    @Test
    void undoErrorsAreJoinedAndDoNotStopTheRollback() {
        StartStep badUndo = StartStep.of("x", null, null, c -> log.add("run x"))
                .withUndo(c -> {
                    throw new IOException("cannot undo x");
                });
        List<StartStep> steps = List.of(step("a", false), badUndo, step("c", true));
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> new StartPipeline(null).run(steps, ctx, ProgressSink.NONE));
        assertThat(thrown).hasMessage("c failed");
        assertThat(thrown.getSuppressed()).extracting(Throwable::getMessage).containsExactly("rollback x: cannot undo x");
        assertThat(log).containsExactly("run a", "run x", "run c", "undo c", "undo a");
    }

    @Test
    void injectedFaultAfterAStepRunsThatStepsUndo() {
        List<StartStep> steps = List.of(step("a", false), step("b", false), step("c", false));
        assertThatThrownBy(() -> new StartPipeline("b").run(steps, ctx, ProgressSink.NONE)).hasMessageContaining("injected fault after step b");
        assertThat(log).containsExactly("run a", "run b", "undo b", "undo a");
    }

    @Test
    void undoRunsWithInterruptionClearedAndTheFlagIsRestored() {
        List<Boolean> interruptedDuringUndo = new ArrayList<>();
        StartStep cancelled = StartStep.of("boot", null, null, c -> {
            Thread.currentThread().interrupt();
            throw new InterruptedException("caller went away");
        }).withUndo(c -> interruptedDuringUndo.add(Thread.currentThread().isInterrupted()));
        assertThatThrownBy(() -> new StartPipeline(null).run(List.of(cancelled), ctx, ProgressSink.NONE))
                .isInstanceOf(InterruptedException.class);
        assertThat(interruptedDuringUndo).containsExactly(false);
        assertThat(Thread.interrupted()).isTrue();
    }

    @Test
    void reportsEachUserVisibleStage() {
        List<String> stages = new ArrayList<>();
        List<StartStep> steps = List.of(step("a", false), StartStep.of("hidden", null, null, c -> { }), step("b", false));
        try {
            new StartPipeline(null).run(steps, ctx, (stage, detail) -> stages.add(stage));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(stages).containsExactly("stage_a", "stage_b");
        VmRecord unchanged = ctx.vm();
        assertThat(unchanged.name()).isEqualTo("t");
    }
}
