package dev.banger.daemon.image.build;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs one short-lived tool to completion, stderr captured in a file so a chatty tool can never block. */
final class ProcessRunner {
    private ProcessRunner() { }

    record Result(int exitCode, String stdout, String stderr) { }

    static Result run(List<String> command, Path stderrFile) throws IOException {
        return run(command, null, stderrFile);
    }

    /** Runs command; stdout goes to stdoutFile (or is discarded when null). */
    static Result run(List<String> command, Path stdoutFile, Path stderrFile) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(stdoutFile == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(stdoutFile.toFile()))
                .redirectError(stderrFile.toFile());
        // Stable, untranslated messages: we match on debugfs' stderr.
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        try {
            int rc = p.waitFor();
            String out = stdoutFile == null ? "" : Files.readString(stdoutFile, StandardCharsets.UTF_8);
            return new Result(rc, out, Files.readString(stderrFile, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while running " + command.getFirst());
        }
    }

    /** Kills p and everything it started, and reaps it, even if we are being interrupted. */
    static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        boolean interrupted = false;
        while (true) {
            try {
                p.waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
