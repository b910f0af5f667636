package dev.banger.daemon.image.seed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one host tool (ssh-keygen, debugfs, mkfs.ext4, e2fsck, resize2fs) from an argument list,
 * never through a shell. stdout and stderr are drained by their own threads so a chatty tool can
 * never block, and the timeout holds even if the tool never closes its output. On timeout or
 * interrupt the tool and everything it started are killed and reaped.
 *
 * <p>Package-private on purpose: {@code dev.banger.daemon.vm.Tools} is package-private in vm and
 * merges stderr into stdout (we need stderr alone, debugfs reports failures there with exit 0),
 * and {@code image.build.ProcessRunner} has no timeout.
 */
final class Exec {
    /** Output beyond this many bytes per stream is read and dropped. */
    static final int MAX_CAPTURE = 1 << 20;

    record Result(int exitCode, String stdout, String stderr) {
        /** The last few lines of stderr (or stdout when stderr is empty), for error messages. */
        String tail() {
            String text = stderr.isBlank() ? stdout : stderr;
            List<String> lines = text.strip().lines().toList();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        }
    }

    private Exec() { }

    static Result run(List<String> argv, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        // Stable, untranslated messages: callers match on debugfs' stderr.
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        Drain out = new Drain(p.getInputStream());
        Drain err = new Drain(p.getErrorStream());
        Thread outThread = Thread.ofVirtual().start(out);
        Thread errThread = Thread.ofVirtual().start(err);
        boolean done = false;
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(argv.getFirst() + " timed out after " + timeout.toSeconds() + "s");
            }
            outThread.join();
            errThread.join();
            done = true;
            return new Result(p.exitValue(), out.text(), err.text());
        } finally {
            if (!done) {
                kill(p);
            }
        }
    }

    /** Like {@link #run} but a non-zero exit is an IOException carrying the tool's last words. */
    static Result check(List<String> argv, Duration timeout) throws IOException, InterruptedException {
        Result r = run(argv, timeout);
        if (r.exitCode() != 0) {
            throw new IOException(argv.getFirst() + " failed (exit " + r.exitCode() + "): " + r.tail());
        }
        return r;
    }

    private static void kill(Process p) {
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

    private static final class Drain implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Drain(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] chunk = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    int keep = Math.min(n, MAX_CAPTURE - buf.size());
                    if (keep > 0) {
                        buf.write(chunk, 0, keep);
                    }
                }
            } catch (IOException ignored) {
                // The process was killed or closed its end; what we have is what there is.
            }
        }

        String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }
}
