package dev.banger.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.api.Notifications;
import dev.banger.core.api.ProgressNote;
import dev.banger.core.rpc.RpcClient;
import java.io.PrintStream;

/**
 * Renders a long call's progress notifications on stderr: on a terminal one updating line per
 * stage ({@link LiveProgress}), elsewhere the plain lines scripts and logs have always had
 * ({@link PlainProgress}, only with {@code BANGER_PROGRESS=1}), and nothing at all with {@code --quiet}.
 * {@link #close} ends the view once the call has returned (the last stage's line is only finished then).
 */
final class Progress implements RpcClient.NotificationListener, AutoCloseable {
    /** What renders the notes; one per call. */
    interface View {
        void note(ProgressNote note);

        /** The call returned ({@code ok}) or failed: the stage running then is over. */
        void end(boolean ok);
    }

    /**
     * Set by {@code --quiet} (on banger itself or on a long verb): one process runs one command, so
     * a process-wide switch is the whole of it, read when the call's view is chosen.
     */
    private static volatile boolean quiet;

    /** Makes the view at the first note: a call that reports nothing (vm exec) costs no terminal set-up. */
    private final java.util.function.Supplier<View> views;
    private View view;
    private boolean ok;
    private boolean chosen;
    private boolean closed;

    Progress(java.util.function.Supplier<View> views) {
        this.views = views;
    }

    static void quiet(boolean on) {
        if (on) quiet = true;
    }

    static boolean isQuiet() {
        return quiet;
    }

    /** Tests parse several command lines in one JVM. */
    static void resetQuiet() {
        quiet = false;
    }

    /** The view for this process's stderr: see the class comment. */
    static Progress forTerminal() {
        String mode = System.getenv("BANGER_PROGRESS");
        if (quiet) return new Progress(() -> null);
        return new Progress(() -> viewFor(mode));
    }

    private static View viewFor(String mode) {
        boolean tty = stderrIsTerminal();
        String term = System.getenv("TERM");
        if (tty && !"plain".equals(mode) && term != null && !term.isBlank() && !"dumb".equals(term)) {
            int[] size = Terminal.size();
            // A terminal that reports no size (a pseudo-terminal nobody sized) gets the usual 24x80.
            if (size[0] <= 0 || size[1] <= 0) size = new int[] {24, 80};
            LiveProgress live = LiveProgress.open(System.err, term, size);
            if (live != null) return live;
        }
        return tty || "1".equals(mode) || "plain".equals(mode) ? new PlainProgress(System.err) : null;
    }

    /**
     * Whether stderr, where progress goes, is a terminal. System.console() answers for stdin and
     * stdout (so {@code banger vm create > name.txt} showed no progress, and {@code 2> log} drew
     * escapes into the log); the JDK cannot ask isatty(2), so Linux's own record of fd 2 is read.
     */
    static boolean stderrIsTerminal() {
        try {
            String target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.matches("/dev/tty[0-9A-Za-z]*") || target.equals("/dev/console");
        } catch (java.io.IOException | UnsupportedOperationException e) {
            java.io.Console console = System.console();
            return console != null && console.isTerminal();
        }
    }

    /** For tests: plain lines on err. */
    static Progress plain(PrintStream err) {
        return new Progress(() -> new PlainProgress(err));
    }

    /** The call has answered: its last stage ended now. */
    synchronized void succeeded() {
        ok = true;
    }

    @Override
    public synchronized void onNotification(String method, JsonNode params) {
        if (closed || !method.equals(Notifications.PROGRESS.name())) return;
        ProgressNote note;
        try {
            note = Notifications.PROGRESS.decode(params);
        } catch (java.io.IOException e) {
            return;   // progress is only shown: a note this CLI cannot read is skipped, the call goes on
        }
        report(note);
    }

    /** A note made by the CLI itself (vm cp's stages, which no daemon measures), shown like the daemon's. */
    synchronized void report(ProgressNote note) {
        if (closed) return;
        if (!chosen) {
            chosen = true;
            view = views.get();
        }
        if (view != null) view.note(note);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (view != null) view.end(ok);
    }
}
