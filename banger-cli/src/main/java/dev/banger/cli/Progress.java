package dev.banger.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.api.Notifications;
import dev.banger.core.api.ProgressNote;
import dev.banger.core.rpc.RpcClient;
import java.io.PrintStream;

/** Renders progress notifications on stderr, only when stderr is a terminal. */
final class Progress implements RpcClient.NotificationListener {
    private final PrintStream err;
    private final boolean enabled;

    Progress(PrintStream err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    static Progress forTerminal() {
        java.io.Console console = System.console();
        boolean tty = console != null && console.isTerminal();
        return new Progress(System.err, tty || "1".equals(System.getenv("BANGER_PROGRESS")));
    }

    @Override
    public void onNotification(String method, JsonNode params) {
        if (!enabled || !method.equals(Notifications.PROGRESS.name())) return;
        ProgressNote note;
        try {
            note = Notifications.PROGRESS.decode(params);
        } catch (java.io.IOException e) {
            return;   // progress is only shown: a note this CLI cannot read is skipped, the call goes on
        }
        if (note.previousStage() != null && note.previousStageMs() != null) {
            err.printf("  done %-22s %6d ms%n", note.previousStage(), note.previousStageMs());
        }
        err.printf("» %-22s %s%n", note.stage(), note.detail());
        err.flush();
    }
}
