package dev.banger.cli;

import dev.banger.core.BangerPaths;
import dev.banger.core.api.Method;
import dev.banger.core.rpc.RpcClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the daemon of the current banger home, starting it on demand (the seeds'
 * ensureDaemon): if nothing answers on the socket, launch bin/bangerd detached in its own
 * session and wait until it accepts connections.
 */
final class DaemonClient {
    private static final long START_TIMEOUT_MS = 20_000;

    private DaemonClient() { }

    static RpcClient connect(BangerPaths paths, boolean startIfNeeded) throws IOException {
        try {
            return RpcClient.connect(paths.daemonSocket());
        } catch (IOException notRunning) {
            if (!startIfNeeded) throw new IOException("bangerd is not running (socket " + paths.daemonSocket() + ")");
        }
        Process p = launch(paths);
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        IOException last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                return RpcClient.connect(paths.daemonSocket());
            } catch (IOException e) {
                last = e;
            }
            if (!p.isAlive() && p.exitValue() != 0 && p.exitValue() != 3) {
                // 3: another bangerd won the race to start; keep waiting for its socket.
                throw new IOException("could not start bangerd: " + lastLine(paths));
            }
            sleep(25);
        }
        throw new IOException("bangerd did not answer within " + START_TIMEOUT_MS / 1000 + "s: "
                + (last == null ? "" : last.getMessage()) + "; see " + paths.daemonLog());
    }

    private static Process launch(BangerPaths paths) throws IOException {
        String root = System.getProperty("banger.root");
        if (root == null) throw new IOException("cannot start bangerd: banger.root is not set (run banger through bin/banger)");
        Path bangerd = Path.of(root, "bin", "bangerd");
        // Private from the first byte, whatever our umask: bangerd makes the rest of its home 0700/0600 itself.
        Files.createDirectories(paths.stateDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path out = paths.stateDir().resolve("bangerd.out");
        try {
            Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
        }
        List<String> cmd = new ArrayList<>();
        // setsid: the daemon must not share our terminal's session (Ctrl-C here must not kill it).
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) cmd.add("/usr/bin/setsid");
        cmd.add(bangerd.toString());
        return new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectErrorStream(true)
                .start();
    }

    private static String lastLine(BangerPaths paths) {
        try {
            List<String> lines = Files.readAllLines(paths.stateDir().resolve("bangerd.out"));
            return lines.isEmpty() ? "no output (see " + paths.daemonLog() + ")" : lines.getLast();
        } catch (IOException e) {
            return "no output (see " + paths.daemonLog() + ")";
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static <P, R> R call(Method<P, R> method, P params) throws IOException {
        try (RpcClient c = connect(Main.PATHS, true)) {
            return c.call(method, params);
        }
    }

    /** For long calls (create, start, builds): progress goes to stderr when it is a terminal. */
    static <P, R> R callWithProgress(Method<P, R> method, P params) throws IOException {
        try (RpcClient c = connect(Main.PATHS, true); Progress progress = Progress.forTerminal()) {
            R result = c.call(method, params, progress);
            progress.succeeded();
            return result;
        }
    }
}
