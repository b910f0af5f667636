package dev.banger.daemon.host;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one way banger-daemon runs a host tool (qemu-img, mkfs.ext4, debugfs, e2fsck, dpkg-deb,
 * xz, mmdebstrap, tar...): always from an argument list, never through a shell.
 *
 * <ul>
 *   <li>stdin is /dev/null or a file; stdout is captured, or written to a file ({@link #stdoutTo}),
 *       or handed to the caller as a stream ({@link #start});</li>
 *   <li>stdout and stderr are drained by their own virtual threads, so a chatty tool never blocks,
 *       and stderr is kept apart (debugfs reports failures there with exit 0);</li>
 *   <li>the timeout always holds, also when the tool never closes its output;</li>
 *   <li>on timeout, interrupt or {@link Running#close()} the tool and every descendant are killed
 *       by PID and the tool is reaped; an interrupt then propagates as InterruptedException;</li>
 *   <li>{@code LC_ALL=C} unless the caller sets it, so callers can parse messages;</li>
 *   <li>argv[0] is found over PATH and then /usr/local/sbin, /usr/sbin, /sbin ({@link HostTools}), also for
 *       an ordinary user; a missing tool is a {@link MissingToolException} naming its Debian package;</li>
 *   <li>{@link #run()} turns an exit code outside {@link #okExitCodes} into an IOException that names
 *       the tool, the exit code and the last lines of stderr.</li>
 * </ul>
 *
 * <p>Configure with the fluent setters, then call {@link #run()}, {@link #runUnchecked()} or
 * {@link #start()}. An instance is not meant to be shared between threads while configuring.
 */
public final class HostCommand {
    /** Output beyond this many bytes per captured stream is dropped (stdout keeps its head, stderr its tail). */
    public static final int MAX_CAPTURE = 16 << 20;
    /** How many lines of stderr a failure message carries. */
    static final int TAIL_LINES = 5;

    private static final File DEV_NULL = new File("/dev/null");

    private final List<String> argv;
    private final Duration timeout;
    private Path workDir;
    private Path stdinFile;
    private Path stdoutFile;
    private final Map<String, String> env = new LinkedHashMap<>();
    private int[] okExitCodes = {0};
    private Duration termGrace = Duration.ZERO;
    private Consumer<String> stderrLines;

    private HostCommand(List<String> argv, Duration timeout) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        this.argv = List.copyOf(argv);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /** argv[0] is the tool; timeout bounds the whole run, including reading its output. */
    public static HostCommand of(List<String> argv, Duration timeout) {
        return new HostCommand(argv, timeout);
    }

    /** Working directory (default: the daemon's). */
    public HostCommand directory(Path dir) {
        this.workDir = dir;
        return this;
    }

    /** stdin from this file instead of /dev/null. */
    public HostCommand stdin(Path file) {
        this.stdinFile = file;
        return this;
    }

    /** stdout to this file (created or truncated) instead of being captured; {@link Result#stdout()} is then empty. */
    public HostCommand stdoutTo(Path file) {
        this.stdoutFile = file;
        return this;
    }

    /** Adds or overrides one environment variable (e.g. TMPDIR, or LC_ALL when C is not wanted). */
    public HostCommand env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Exit codes {@link #run()} accepts; default 0 only (e2fsck -y: 0 and 1, "errors corrected"). */
    public HostCommand okExitCodes(int... codes) {
        if (codes.length == 0) {
            throw new IllegalArgumentException("at least one ok exit code");
        }
        this.okExitCodes = codes.clone();
        return this;
    }

    /**
     * When killing, SIGTERM the tool first and give it this long to clean up (mmdebstrap tears down
     * its chroot) before SIGKILL for it and all its descendants. Default zero: SIGKILL at once.
     */
    public HostCommand termGrace(Duration grace) {
        this.termGrace = Objects.requireNonNull(grace, "grace");
        return this;
    }

    /** Each stderr line is also passed here as it arrives (on the drain thread), e.g. as progress. */
    public HostCommand onStderrLine(Consumer<String> listener) {
        this.stderrLines = listener;
        return this;
    }

    /** What a finished tool left behind. */
    public record Result(String tool, int exitCode, String stdout, String stderr) {
        /** The last {@code lines} lines of stderr (stdout when stderr is blank), joined by {@code separator}. */
        public String tail(int lines, String separator) {
            String text = stderr.isBlank() ? stdout : stderr;
            List<String> all = text.strip().lines().toList();
            return String.join(separator, all.subList(Math.max(0, all.size() - lines), all.size()));
        }

        /** "TOOL failed (exit N): last | lines | of stderr", the message of {@link HostCommand#run()}. */
        public String failureMessage() {
            String tail = tail(TAIL_LINES, " | ");
            return tool + " failed (exit " + exitCode + "): " + (tail.isEmpty() ? "(no output)" : tail);
        }
    }

    /** Runs to completion; an exit code outside {@link #okExitCodes} is an IOException. */
    public Result run() throws IOException, InterruptedException {
        Result r = runUnchecked();
        if (!isOk(r.exitCode())) {
            throw new IOException(r.failureMessage());
        }
        return r;
    }

    /** Runs to completion and returns whatever the exit code was (debugfs, e2fsck -n: the caller decides). */
    public Result runUnchecked() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Process p = launch();
        Capture out = stdoutFile == null ? Capture.start(p.getInputStream(), false, null, "stdout") : null;
        Capture err = Capture.start(p.getErrorStream(), true, stderrLines, "stderr");
        boolean done = false;
        try {
            if (!p.waitFor(remaining(deadline), TimeUnit.NANOSECONDS)) {
                throw timeoutError();
            }
            // A descendant that outlived the tool may still hold our pipes; the deadline covers that too.
            if ((out != null && !out.join(deadline)) || !err.join(deadline)) {
                throw new IOException(tool() + " exited but something it started kept its output open past the "
                        + describe(timeout) + " timeout");
            }
            done = true;
            return new Result(tool(), p.exitValue(), out == null ? "" : out.text(), err.text());
        } finally {
            if (!done) {
                destroyTree(p, termGrace);
            }
        }
    }

    /**
     * Starts the tool with its stdout as a stream for the caller to consume (mmdebstrap's tar, tar -cf -).
     * The timeout still holds: a watchdog kills the tool when it runs out. Always close the handle.
     */
    public Running start() throws IOException {
        if (stdoutFile != null) {
            throw new IllegalStateException("start() streams stdout; do not combine it with stdoutTo()");
        }
        return new Running(launch(), System.nanoTime() + timeout.toNanos());
    }

    /** A started tool whose stdout the caller reads. */
    public final class Running implements AutoCloseable {
        private final Process process;
        private final long deadline;
        private final Capture err;
        private final Thread watchdog;
        private volatile boolean timedOut;
        private boolean killed;

        private Running(Process process, long deadline) {
            this.process = process;
            this.deadline = deadline;
            this.err = Capture.start(process.getErrorStream(), true, stderrLines, "stderr");
            this.watchdog = Thread.ofVirtual().name(tool() + "-watchdog").start(() -> {
                try {
                    if (!process.waitFor(remaining(deadline), TimeUnit.NANOSECONDS)) {
                        timedOut = true;
                        kill();
                    }
                } catch (InterruptedException e) {
                    // close() stops the watchdog
                }
            });
        }

        /** The tool's stdout. */
        public InputStream stdout() {
            return process.getInputStream();
        }

        public long pid() {
            return process.pid();
        }

        /** True once the watchdog killed the tool for running out of time. */
        public boolean timedOut() {
            return timedOut;
        }

        /**
         * After the caller has consumed what it needs: drains whatever stdout is left, waits for the
         * exit and the stderr drain (within the timeout) and returns the result, any exit code.
         */
        public Result finishUnchecked() throws IOException, InterruptedException {
            boolean done = false;
            try {
                try (InputStream rest = process.getInputStream()) {
                    rest.transferTo(OutputStream.nullOutputStream());
                } catch (IOException e) {
                    // killed by the watchdog, or the caller closed it: the exit code tells
                }
                if (!process.waitFor(remaining(deadline), TimeUnit.NANOSECONDS) || timedOut) {
                    throw timeoutError();
                }
                if (!err.join(deadline)) {
                    throw new IOException(tool() + " exited but something it started kept its stderr open past the "
                            + describe(timeout) + " timeout");
                }
                done = true;
                return new Result(tool(), process.exitValue(), "", err.text());
            } finally {
                if (!done) {
                    close();
                }
            }
        }

        /** {@link #finishUnchecked()}, and an exit code outside the ok ones is an IOException. */
        public Result finish() throws IOException, InterruptedException {
            Result r = finishUnchecked();
            if (!isOk(r.exitCode())) {
                throw new IOException(r.failureMessage());
            }
            return r;
        }

        /** The last lines of stderr seen so far (waits briefly for the drain when the tool is gone). */
        public String stderrTail(int lines, String separator) {
            if (!process.isAlive()) {
                try {
                    err.join(Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new Result(tool(), -1, "", err.text()).tail(lines, separator);
        }

        /** Kills the tool and its descendants (after the grace period, if any) unless it has exited; idempotent. */
        @Override
        public void close() {
            kill();
            watchdog.interrupt();
        }

        private synchronized void kill() {
            if (!killed) {
                killed = true;
                if (process.isAlive()) {
                    destroyTree(process, termGrace);
                }
            }
        }
    }

    private Process launch() throws IOException {
        // The JDK looks argv[0] up over the daemon's PATH only; an ordinary user's lacks /usr/sbin and
        // /sbin (mkfs.ext4, debugfs...). Resolve over the PATH the tool gets plus sbin, and hand that
        // PATH on, so the tool's own children are found the same way.
        String path = env.getOrDefault("PATH", System.getenv("PATH"));
        List<String> resolved = new ArrayList<>(argv);
        resolved.set(0, HostTools.resolve(argv.getFirst(), path).toString());
        ProcessBuilder pb = new ProcessBuilder(resolved)
                .redirectInput(stdinFile != null ? ProcessBuilder.Redirect.from(stdinFile.toFile())
                        : ProcessBuilder.Redirect.from(DEV_NULL))
                .redirectOutput(stdoutFile != null ? ProcessBuilder.Redirect.to(stdoutFile.toFile())
                        : ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.PIPE);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        // Stable, untranslated messages: callers match on debugfs' stderr and parse listings.
        pb.environment().put("LC_ALL", "C");
        pb.environment().putAll(env);
        pb.environment().put("PATH", HostTools.childPath(path));
        return pb.start();
    }

    /**
     * Kills p and everything it started, and reaps p, even while the caller is being interrupted
     * (the interrupt is re-asserted afterwards). Descendants are collected before p dies: once it
     * is gone they are re-parented and no longer findable from it.
     */
    static void destroyTree(Process p, Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        boolean interrupted = false;
        if (!grace.isZero() && p.isAlive()) {
            p.destroy();
            try {
                p.waitFor(grace.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            tree.addAll(p.descendants().toList());
        }
        p.destroyForcibly();
        for (ProcessHandle h : tree) {
            List<ProcessHandle> below = h.descendants().toList();
            h.destroyForcibly();
            below.forEach(ProcessHandle::destroyForcibly);
        }
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

    private boolean isOk(int exit) {
        return Arrays.stream(okExitCodes).anyMatch(c -> c == exit);
    }

    private String tool() {
        return argv.getFirst();
    }

    private IOException timeoutError() {
        return new IOException(tool() + " timed out after " + describe(timeout));
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + " ms";
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    /** Drains one stream on a virtual thread, keeping at most MAX_CAPTURE bytes of it. */
    private static final class Capture implements Runnable {
        private final InputStream in;
        private final boolean keepTail;
        private final Consumer<String> lines;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private Thread thread;

        private Capture(InputStream in, boolean keepTail, Consumer<String> lines) {
            this.in = in;
            this.keepTail = keepTail;
            this.lines = lines;
        }

        static Capture start(InputStream in, boolean keepTail, Consumer<String> lines, String name) {
            Capture c = new Capture(in, keepTail, lines);
            c.thread = Thread.ofVirtual().name("host-command-" + name).start(c);
            return c;
        }

        @Override
        public void run() {
            try (in) {
                if (lines != null) {
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                    String line;
                    while ((line = r.readLine()) != null) {
                        append((line + "\n").getBytes(StandardCharsets.UTF_8), -1);
                        try {
                            lines.accept(line);
                        } catch (RuntimeException e) {
                            // a failing listener must not stop the drain, or the tool would block on stderr
                        }
                    }
                } else {
                    byte[] chunk = new byte[8192];
                    int n;
                    while ((n = in.read(chunk)) >= 0) {
                        append(chunk, n);
                    }
                }
            } catch (IOException e) {
                // The process was killed or closed its end: what we have is what there is.
            }
        }

        private void append(byte[] b, int n) {
            int len = n < 0 ? b.length : n;
            synchronized (buf) {
                if (keepTail) {
                    buf.write(b, 0, len);
                    if (buf.size() > MAX_CAPTURE) {
                        byte[] all = buf.toByteArray();
                        buf.reset();
                        buf.write(all, all.length - MAX_CAPTURE / 2, MAX_CAPTURE / 2);
                    }
                } else {
                    int keep = Math.min(len, MAX_CAPTURE - buf.size());
                    if (keep > 0) {
                        buf.write(b, 0, keep);
                    }
                }
            }
        }

        /** Waits for the drain until deadline (System.nanoTime); false if it is still running. */
        boolean join(long deadline) throws InterruptedException {
            return thread.join(Duration.ofNanos(remaining(deadline)));
        }

        String text() {
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
