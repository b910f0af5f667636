package dev.banger.core.api;

import java.util.List;

/** Every notification on bangerd's socket (docs/rpc.md, "Notifications"), with the record of its params. */
public final class Notifications {
    /** Server → client: a call's progress. */
    public static final Notification<ProgressNote> PROGRESS = new Notification<>("progress", ProgressNote.class);
    /** Server → client: output of vm.exec / vm.run. */
    public static final Notification<ExecOutput> EXEC_OUTPUT = new Notification<>("exec.output", ExecOutput.class);
    /** Client → server: stdin for a pending vm.exec / vm.run. */
    public static final Notification<ExecStdin> EXEC_STDIN = new Notification<>("exec.stdin", ExecStdin.class);
    public static final Notification<ExecStdinClose> EXEC_STDIN_CLOSE = new Notification<>("exec.stdin_close", ExecStdinClose.class);
    public static final Notification<ExecResize> EXEC_RESIZE = new Notification<>("exec.resize", ExecResize.class);

    public static final List<Notification<?>> ALL = List.of(PROGRESS, EXEC_OUTPUT, EXEC_STDIN, EXEC_STDIN_CLOSE, EXEC_RESIZE);

    private Notifications() { }
}
