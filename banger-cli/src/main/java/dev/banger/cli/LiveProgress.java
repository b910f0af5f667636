package dev.banger.cli;

import dev.banger.core.api.ProgressNote;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.util.List;
import java.util.function.LongSupplier;
import org.jline.terminal.Size;
import org.jline.terminal.impl.ExternalTerminal;
import org.jline.utils.AttributedString;
import org.jline.utils.Display;

/**
 * Progress on a terminal: the running stage is one line that JLine's {@link Display} redraws in
 * place (its detail, a bar with bytes, rate and ETA when the stage counts bytes, the time spent so
 * far, ticking); when the stage ends the line is finished with the stage's real duration and stays,
 * and the next stage's line begins below it.
 */
final class LiveProgress implements Progress.View {
    private static final long TICK_MS = 200;

    private final org.jline.terminal.Terminal terminal;
    private final Display display;
    private final LongSupplier clock;
    private final int width;
    private final String runningMark;
    private final String doneMark;
    private final String failedMark;
    private Running current;
    private Thread ticker;
    private boolean ended;

    /** The stage being drawn: where it started (this clock), and its latest figures. */
    private static final class Running {
        final String stage;
        final long since;
        String detail;
        Long bytesDone;
        Long bytesTotal;
        long firstBytes = -1;
        long firstBytesAt;
        double rate;

        Running(String stage, long since) {
            this.stage = stage;
            this.since = since;
        }
    }

    LiveProgress(org.jline.terminal.Terminal terminal, int columns, LongSupplier clock, boolean ticking) {
        this.terminal = terminal;
        this.clock = clock;
        this.width = Math.max(20, columns);
        this.display = new Display(terminal, false);
        this.display.resize(terminal.getHeight() > 0 ? terminal.getHeight() : 24, width);
        boolean unicode = terminal.encoding().newEncoder().canEncode("»✓✗…");
        this.runningMark = unicode ? "»" : ">";
        this.doneMark = unicode ? "✓" : "+";
        this.failedMark = unicode ? "✗" : "x";
        if (ticking) {
            ticker = Thread.ofPlatform().daemon().name("progress-tick").start(this::tick);
        }
    }

    /** A live view on err, a terminal of type term with {rows, cols}; null when JLine cannot drive it. */
    static LiveProgress open(OutputStream err, String term, int[] size) {
        try {
            // Closing the JLine terminal must not close stderr: the result and errors still follow.
            OutputStream kept = new java.io.FilterOutputStream(err) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush();
                }
            };
            org.jline.terminal.Terminal t = terminal(kept, term, size[0], size[1], err instanceof java.io.PrintStream ps ? ps.charset() : Charset.defaultCharset());
            return new LiveProgress(t, size[1], System::nanoTime, true);
        } catch (IOException | RuntimeException e) {
            return null;   // an unknown terminal type: the plain lines still work
        }
    }

    /**
     * A JLine terminal that only writes to out, synchronously: nothing is read from the user (stdin
     * may be the command's; paused, so no input thread), no signal handler, the size given. Built
     * directly rather than through TerminalBuilder, which probes for native providers (and has the
     * JDK warn about native access on stderr).
     */
    static org.jline.terminal.Terminal terminal(OutputStream out, String term, int rows, int cols, Charset charset) throws IOException {
        return new ExternalTerminal(null, "banger", term, InputStream.nullInputStream(), out, charset,
                org.jline.terminal.Terminal.SignalHandler.SIG_DFL, true, null, new Size(cols, rows));
    }

    @Override
    public synchronized void note(ProgressNote note) {
        if (ended) return;
        long now = clock.getAsLong();
        if (current != null && !current.stage.equals(note.stage())) {
            // The daemon measured the stage that just ended: its figure, not our receipt times.
            long took = note.previousStageMs() != null ? note.previousStageMs() * 1_000_000 : now - current.since;
            finish(current, doneMark, took);
            current = null;
        }
        if (current == null) current = new Running(note.stage(), now);
        current.detail = note.detail();
        if (note.bytesDone() != null) {
            if (current.firstBytes < 0) {
                current.firstBytes = note.bytesDone();
                current.firstBytesAt = now;
            } else if (now > current.firstBytesAt) {
                current.rate = (note.bytesDone() - current.firstBytes) / ((now - current.firstBytesAt) / 1e9);
            }
            current.bytesDone = note.bytesDone();
            current.bytesTotal = note.bytesTotal();
        } else {
            // The stage moved on to work without a byte count (mkfs after the extraction): no bar for it.
            current.bytesDone = null;
            current.bytesTotal = null;
        }
        redraw();
    }

    @Override
    public synchronized void end(boolean ok) {
        if (ended) return;
        ended = true;
        if (ticker != null) ticker.interrupt();
        if (current != null) finish(current, ok ? doneMark : failedMark, clock.getAsLong() - current.since);
        current = null;
        terminal.flush();
        try {
            terminal.close();
        } catch (IOException ignored) {
            // only the output stream's wrapper: stderr itself stays open
        }
    }

    /** Redraws the running stage's line in place (the Display moves the cursor and clears). */
    private void redraw() {
        if (current == null) return;
        AttributedString line = new AttributedString(line(current, runningMark, clock.getAsLong() - current.since));
        display.update(List.of(line), line.columnLength());
        terminal.flush();
    }

    /** The stage's line for good: the live line is cleared, the finished one printed, and the Display starts afresh below it. */
    private void finish(Running r, String mark, long tookNanos) {
        display.update(List.of(), 0);
        terminal.writer().print(line(r, mark, tookNanos) + "\n");   // the terminal's ONLCR adds the CR (also in raw mode)
        terminal.flush();
        display.reset();
    }

    private String line(Running r, String mark, long nanos) {
        return new StageLine(mark, r.stage, r.detail, nanos, r.bytesDone, r.bytesTotal, r.rate).render(width);
    }

    private void tick() {
        try {
            while (true) {
                Thread.sleep(TICK_MS);
                synchronized (this) {
                    if (ended) return;
                    redraw();
                }
            }
        } catch (InterruptedException e) {
            // ended
        }
    }
}
