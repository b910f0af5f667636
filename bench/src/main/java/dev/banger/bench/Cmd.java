package dev.banger.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Plain commands for the suites that build namespaces: argument lists, no shell; stdout back, a non-zero exit thrown. */
final class Cmd {
    private Cmd() { }

    static String run(String... argv) throws IOException, InterruptedException {
        return run(List.of(argv));
    }

    static String run(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).start();
        p.getOutputStream().close();
        // stderr on its own thread: a command that fills one pipe while we block on the other would hang.
        AtomicReference<String> err = new AtomicReference<>("");
        Thread errReader = Thread.ofVirtual().start(() -> {
            try {
                err.set(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process went away
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        errReader.join();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " timed out");
        }
        if (p.exitValue() != 0) throw new IOException(String.join(" ", argv) + " exited " + p.exitValue() + ": " + err.get().strip());
        return out;
    }

    /** SIGKILL to a process and its descendants, by PID, and wait for it. */
    static void kill(ProcessHandle p) throws Exception {
        for (ProcessHandle child : p.descendants().toList()) child.destroyForcibly();
        p.destroyForcibly();
        p.onExit().get(10, TimeUnit.SECONDS);
    }

    static void requireRoot(String suite) throws IOException {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (uid != 0) throw new IOException("suite " + suite + " needs root (it makes network namespaces, bridges and taps)");
    }
}
