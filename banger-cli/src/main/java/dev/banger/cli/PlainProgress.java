package dev.banger.cli;

import dev.banger.core.api.ProgressNote;
import java.io.PrintStream;

/**
 * Progress as plain lines, one per note: {@code » stage detail}, and {@code done stage N ms} when a
 * stage ended (the daemon's figure; for the last stage, measured here when the call answered).
 * Scripts and logs read these lines: keep their shape.
 */
final class PlainProgress implements Progress.View {
    private final PrintStream err;
    private String stage;
    private long stageSince;

    PlainProgress(PrintStream err) {
        this.err = err;
    }

    @Override
    public synchronized void note(ProgressNote note) {
        if (note.previousStage() != null && note.previousStageMs() != null) {
            err.printf("  done %-22s %6d ms%n", note.previousStage(), note.previousStageMs());
        }
        if (!note.stage().equals(stage)) {
            stage = note.stage();
            stageSince = System.nanoTime();
        }
        err.printf("» %-22s %s%n", note.stage(), note.detail());
        err.flush();
    }

    @Override
    public synchronized void end(boolean ok) {
        if (ok && stage != null) {
            err.printf("  done %-22s %6d ms%n", stage, (System.nanoTime() - stageSince) / 1_000_000);
            err.flush();
        }
        stage = null;
    }
}
