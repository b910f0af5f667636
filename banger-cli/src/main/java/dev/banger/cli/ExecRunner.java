package dev.banger.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.BangerPaths;
import dev.banger.core.rpc.RpcClient;
import dev.banger.core.rpc.RpcException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/** Runs a command in a VM over vm.exec, wiring our stdin/stdout/stderr to the remote ones. */
final class ExecRunner {
    private ExecRunner() { }

    static int run(BangerPaths paths, String vm, List<String> argv, boolean forwardStdin, boolean tty) throws IOException {
        return run(paths, vm, argv, Map.of(), null, forwardStdin, tty);
    }

    /** env and cwd as an OCI image's config asks (cwd null: the agent's default). */
    static int run(BangerPaths paths, String vm, List<String> argv, Map<String, String> env, String cwd,
                   boolean forwardStdin, boolean tty) throws IOException {
        boolean raw = tty && Terminal.available();
        int[] size = raw ? Terminal.size() : new int[] {24, 80};
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("vm", vm);
        params.put("argv", argv);
        params.put("tty", tty);
        params.put("rows", size[0]);
        params.put("cols", size[1]);
        Map<String, String> allEnv = new LinkedHashMap<>(env);
        if (tty) allEnv.put("TERM", System.getenv().getOrDefault("TERM", "xterm-256color"));
        if (!allEnv.isEmpty()) params.put("env", allEnv);
        if (cwd != null && !cwd.isEmpty()) params.put("cwd", cwd);
        PrintStream out = System.out;
        PrintStream err = System.err;
        Base64.Decoder b64 = Base64.getDecoder();
        try (RpcClient client = DaemonClient.connect(paths, true);
             Terminal term = raw ? Terminal.enterRaw() : null) {
            RpcClient.Call call = client.start("vm.exec", params, (method, p) -> {
                if (!method.equals("exec.output")) return;
                byte[] data = b64.decode(p.path("data").asText());
                PrintStream target = "stderr".equals(p.path("stream").asText()) ? err : out;
                target.write(data, 0, data.length);
                target.flush();
            });
            if (forwardStdin || tty) pumpStdin(client, call.id(), System.in);
            if (raw) watchWindowSize(client, call.id());
            JsonNode result = call.result().get();
            return result.path("exit_code").asInt();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RpcException re) throw re;
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    private static void pumpStdin(RpcClient client, long callId, InputStream in) {
        Thread.ofPlatform().daemon().name("stdin-pump").start(() -> {
            byte[] buf = new byte[16 * 1024];
            Base64.Encoder enc = Base64.getEncoder();
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    client.notify("exec.stdin", Map.of("call_id", callId, "data", enc.encodeToString(java.util.Arrays.copyOf(buf, n))));
                }
                client.notify("exec.stdin_close", Map.of("call_id", callId));
            } catch (IOException ignored) {
                // the call ended and closed the connection; nothing left to send
            }
        });
    }

    @SuppressWarnings("removal")
    private static void watchWindowSize(RpcClient client, long callId) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), sig -> {
                int[] s = Terminal.size();
                try {
                    client.notify("exec.resize", Map.of("call_id", callId, "rows", s[0], "cols", s[1]));
                } catch (IOException ignored) {
                    // session over
                }
            });
        } catch (IllegalArgumentException ignored) {
            // no SIGWINCH on this platform: the window size stays what it was at start
        }
    }
}
