package dev.banger.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
        if (!enabled || !method.equals("progress")) return;
        if (params.has("previous_stage")) {
            err.printf("  done %-22s %6d ms%n", params.get("previous_stage").asText(), params.get("previous_stage_ms").asLong());
        }
        err.printf("» %-22s %s%n", params.path("stage").asText(), params.path("detail").asText());
        err.flush();
    }
}
