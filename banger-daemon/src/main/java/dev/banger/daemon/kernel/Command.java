package dev.banger.daemon.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external tool from an argument list (never through a shell).
 * Output goes to temp files rather than pipes so a chatty tool can never deadlock against us.
 */
final class Command {
    private final Duration timeout;

    Command(Duration timeout) {
        this.timeout = timeout;
    }

    /** Runs cmd in workDir, stdin from {@code stdin} (or nothing), stdout to {@code stdout} (or captured and returned). */
    String run(List<String> cmd, Path workDir, Path stdin, Path stdout) throws IOException {
        Path err = Files.createTempFile("banger-cmd-", ".err");
        Path out = stdout != null ? stdout : Files.createTempFile("banger-cmd-", ".out");
        Process p = null;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectError(err.toFile())
                    .redirectOutput(out.toFile())
                    .redirectInput(stdin != null ? ProcessBuilder.Redirect.from(stdin.toFile())
                            : ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(cmd.getFirst() + " did not finish within " + timeout.toSeconds() + " s");
            }
            if (p.exitValue() != 0) {
                throw new IOException(cmd.getFirst() + " " + String.join(" ", cmd.subList(1, Math.min(cmd.size(), 3)))
                        + " failed (exit " + p.exitValue() + "): " + tail(err));
            }
            return stdout != null ? "" : Files.readString(out, StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + cmd.getFirst(), e);
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
            Files.deleteIfExists(err);
            if (stdout == null) {
                Files.deleteIfExists(out);
            }
        }
    }

    String run(List<String> cmd, Path workDir) throws IOException {
        return run(cmd, workDir, null, null);
    }

    private static String tail(Path err) throws IOException {
        String s = Files.readString(err, StandardCharsets.UTF_8).strip();
        String[] lines = s.split("\n");
        String last = lines.length == 0 ? "" : lines[lines.length - 1];
        return last.isEmpty() ? "(no error output)" : last;
    }
}
