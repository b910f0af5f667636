package dev.banger.cli;

import com.fasterxml.jackson.databind.node.LongNode;
import dev.banger.core.api.ExecOutput;
import dev.banger.core.api.ExecResize;
import dev.banger.core.api.ExecResult;
import dev.banger.core.api.ExecStdin;
import dev.banger.core.api.ExecStdinClose;
import dev.banger.core.api.Method;
import dev.banger.core.api.Methods;
import dev.banger.core.api.Notifications;
import dev.banger.core.api.VmCreateParams;
import dev.banger.core.api.VmExecParams;
import dev.banger.core.api.VmRunParams;
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

/**
 * Runs a command in a VM over vm.exec (or creates the VM and runs it over vm.run), wiring our
 * stdin/stdout/stderr to the remote ones: the same streams and notifications for both methods.
 */
final class ExecRunner {
    private ExecRunner() { }

    /** Terminal settings of one session: raw mode when a terminal is asked for and we have one. */
    private record Session(boolean tty, boolean raw, int rows, int cols, Map<String, String> env) {
        static Session of(boolean tty) {
            boolean raw = tty && Terminal.available();
            int[] size = raw ? Terminal.size() : new int[] {24, 80};
            Map<String, String> env = new LinkedHashMap<>();
            if (tty) env.put("TERM", System.getenv().getOrDefault("TERM", "xterm-256color"));
            return new Session(tty, raw, size[0], size[1], env.isEmpty() ? null : env);
        }
    }

    /** {@code vm exec}: argv in a running VM. */
    static int exec(String vm, List<String> argv, boolean forwardStdin, boolean tty) throws IOException {
        Session s = Session.of(tty);
        return run(Methods.VM_EXEC, new VmExecParams(vm, argv, s.env(), null, tty, s.rows(), s.cols()), forwardStdin || tty, s.raw());
    }

    /**
     * {@code vm run}: create, then argv, else what bangerd picks (the image's entrypoint or a shell).
     * With no command we ask for a terminal when we have one and always forward stdin (an
     * interactive program); a command gets stdin when it is not a terminal (a pipe or a file).
     */
    static int run(VmCreateParams create, List<String> argv, boolean rm) throws IOException {
        boolean interactive = argv.isEmpty();
        Session s = Session.of(interactive && Terminal.available());
        VmRunParams params = new VmRunParams(create, argv, s.env(), s.tty(), s.rows(), s.cols(), rm);
        return run(Methods.VM_RUN, params, interactive || !Terminal.available(), s.raw());
    }

    private static <P> int run(Method<P, ExecResult> method, P params, boolean pumpStdin, boolean raw) throws IOException {
        PrintStream out = System.out;
        PrintStream err = System.err;
        Base64.Decoder b64 = Base64.getDecoder();
        try (Progress progress = Progress.forTerminal();
             RpcClient client = DaemonClient.connect(Main.PATHS, true);
             Terminal term = raw ? Terminal.enterRaw() : null) {
            RpcClient.Call call = client.start(method.name(), params, (name, p) -> {
                if (!name.equals(Notifications.EXEC_OUTPUT.name())) {
                    progress.onNotification(name, p);   // vm.run boots first
                    return;
                }
                // The command's output begins: vm run's boot is over, its last stage line is finished first.
                progress.succeeded();
                progress.close();
                ExecOutput chunk;
                try {
                    chunk = Notifications.EXEC_OUTPUT.decode(p);
                } catch (IOException e) {
                    err.println("banger: unreadable exec output from bangerd: " + e.getMessage());
                    return;
                }
                byte[] data = b64.decode(chunk.data());
                PrintStream target = ExecOutput.STDERR.equals(chunk.stream()) ? err : out;
                target.write(data, 0, data.length);
                target.flush();
            });
            if (pumpStdin) pumpStdin(client, call.id(), System.in);
            if (raw) watchWindowSize(client, call.id());
            ExecResult result = method.decodeResult(call.result().get());
            progress.succeeded();
            return result.exitCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.EXIT_CANCELLED;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RpcException re) throw re;
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    private static void pumpStdin(RpcClient client, long callId, InputStream in) {
        Thread.ofPlatform().daemon().name("stdin-pump").start(() -> {
            byte[] buf = new byte[16 * 1024];
            LongNode id = LongNode.valueOf(callId);
            Base64.Encoder enc = Base64.getEncoder();
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    client.notify(Notifications.EXEC_STDIN.name(), new ExecStdin(id, enc.encodeToString(java.util.Arrays.copyOf(buf, n))));
                }
                client.notify(Notifications.EXEC_STDIN_CLOSE.name(), new ExecStdinClose(id));
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
                    client.notify(Notifications.EXEC_RESIZE.name(), new ExecResize(LongNode.valueOf(callId), s[0], s[1]));
                } catch (IOException ignored) {
                    // session over
                }
            });
        } catch (IllegalArgumentException ignored) {
            // no SIGWINCH on this platform: the window size stays what it was at start
        }
    }
}
