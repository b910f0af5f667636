package dev.banger.daemon.image.build;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.host.HostCommand;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * Builds a Debian root filesystem image: mmdebstrap writes a tar to its stdout, which streams
 * straight into {@link TarToExt4}. Nothing is mounted and, in unshare mode, nothing runs as root.
 */
public final class DebianRootfsBuilder {
    static final String STAGE = "build_rootfs";

    /**
     * On top of minbase (which already has bash, apt, coreutils, dpkg): what a shell-in-a-VM
     * sandbox needs to be reachable and debuggable. No systemd: banger's agent is PID 1.
     */
    public static final List<String> DEFAULT_PACKAGES = List.of(
            "bash", "apt", "ca-certificates", "iproute2", "procps", "openssh-server",
            "less", "iputils-ping", "curl", "netbase");

    private static final Duration TERM_GRACE = Duration.ofSeconds(30);
    /** A minbase build with a few packages takes minutes; a stuck mirror must not hold the image lock for ever. */
    private static final Duration BUILD_TIMEOUT = Duration.ofHours(2);
    /** How much of mmdebstrap's stderr a failure carries: its errors come after a long log. */
    private static final int STDERR_LINES = 25;

    private final TarToExt4 converter;
    private final Path scratchParent;
    private final Path unshareTmpParent;
    private final String program;

    /** Scratch under scratchParent; in unshare mode mmdebstrap's own TMPDIR goes to the system temp dir. */
    public DebianRootfsBuilder(TarToExt4 converter, Path scratchParent) {
        this(converter, scratchParent, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * unshareTmpParent must be traversable by every user (like /tmp): mmdebstrap's namespace root is
     * a subordinate uid that cannot enter banger's private dirs ({@link UnshareScratch}).
     */
    public DebianRootfsBuilder(TarToExt4 converter, Path scratchParent, Path unshareTmpParent) {
        this(converter, scratchParent, unshareTmpParent, "mmdebstrap");
    }

    /** program: the mmdebstrap to run; tests pass a stand-in, since a real build needs a Debian mirror. */
    DebianRootfsBuilder(TarToExt4 converter, Path scratchParent, Path unshareTmpParent, String program) {
        this.program = Objects.requireNonNull(program, "program");
        this.converter = Objects.requireNonNull(converter, "converter");
        this.scratchParent = Objects.requireNonNull(scratchParent, "scratchParent");
        this.unshareTmpParent = Objects.requireNonNull(unshareTmpParent, "unshareTmpParent");
    }

    /**
     * Fails in one line saying why and what to do when no mmdebstrap mode can work here (an ordinary
     * user without subordinate ids, user namespaces off, uidmap or acl missing). Cheap; callers run it
     * before downloading anything (the default image's kernel).
     */
    public void preflight() throws IOException {
        MmdebstrapMode.detect();
    }

    /** Builds suite (e.g. "bookworm") with mmdebstrap into an ext4 at out. */
    public Ext4Result build(String suite, List<String> packages, URI mirror, Path out, ProgressSink progress) throws IOException {
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(out, "out");
        Path target = out.toAbsolutePath().normalize();
        if (target.getParent() == null || !Files.isDirectory(target.getParent()) || Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("output must be a file in an existing directory: " + out);
        }
        if (!Files.isDirectory(scratchParent)) {
            throw new IOException("scratch parent does not exist: " + scratchParent);
        }
        MmdebstrapMode.Plan plan = MmdebstrapMode.detect();
        MmdebstrapMode mode = plan.mode();
        List<String> cmd = new java.util.ArrayList<>(MmdebstrapCommand.build(mode, suite, List.copyOf(packages), mirror));
        cmd.set(0, program);
        progress.report(STAGE, "mmdebstrap --mode=" + mode.arg + " " + suite + " (" + packages.size() + " extra packages)");

        Path work = Files.createTempDirectory(scratchParent, "rootfs-");
        Path building = target.resolveSibling("." + target.getFileName() + ".building");
        boolean done = false;
        UnshareScratch unshareTmp = null;
        try {
            // mmdebstrap keeps its chroot under TMPDIR. As root, pin it to our scratch so a crash leaves it where
            // we clean; in unshare mode the namespace's root could not enter that, so it gets a dir made for it.
            Path tmp;
            if (mode == MmdebstrapMode.UNSHARE) {
                unshareTmp = UnshareScratch.create(unshareTmpParent, plan.namespaceRootUid());
                tmp = unshareTmp.dir();
            } else {
                tmp = Files.createDirectory(work.resolve("tmp"));
            }
            HostCommand mmdebstrap = HostCommand.of(cmd, BUILD_TIMEOUT)
                    .env("TMPDIR", tmp.toString())
                    .env("LC_ALL", "C.UTF-8")
                    // SIGTERM first so mmdebstrap can tear down its chroot (in unshare mode its files belong to
                    // subordinate ids we cannot delete ourselves), then SIGKILL everything it started.
                    .termGrace(TERM_GRACE)
                    .onStderrLine(line -> progress.report(STAGE, line));
            long start = System.nanoTime();
            Ext4Result result;
            try (HostCommand.Running run = mmdebstrap.start()) {
                FirstByteClock clock = new FirstByteClock(run.stdout());
                // The tar is extracted while mmdebstrap still runs: that is part of build_rootfs. build_ext4
                // (mkfs.ext4, debugfs) begins only once mmdebstrap has exited and its last stderr line is
                // reported, so the two stages never interleave and each one's duration is its own.
                StreamedStage streamed = new StreamedStage(progress);
                FutureTask<Ext4Result> conversion = new FutureTask<>(() -> converter.convert(clock, building, streamed, () -> {
                    HostCommand.Result r;
                    try {
                        r = run.finishUnchecked();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted waiting for mmdebstrap to exit");
                    }
                    if (r.exitCode() != 0) throw new MmdebstrapFailed(r.exitCode(), r.tail(STDERR_LINES, "\n"));
                    progress.report(STAGE, String.format("mmdebstrap done: %.1f s until the tar started, %.1f s in all",
                            clock.secondsToFirstByte(start), (System.nanoTime() - start) / 1e9));
                    streamed.end();
                }));
                Thread.ofVirtual().name("rootfs-tar2ext4").start(conversion);
                try {
                    result = conversion.get();
                } catch (InterruptedException e) {
                    run.close();
                    awaitQuietly(conversion);
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("rootfs build interrupted; mmdebstrap killed");
                } catch (ExecutionException e) {
                    run.close();
                    if (e.getCause() instanceof MmdebstrapFailed failed) throw failed;
                    throw new IOException("rootfs build failed: " + e.getCause().getMessage()
                            + (run.timedOut() ? " (mmdebstrap timed out after " + BUILD_TIMEOUT.toMinutes() + " min)" : "")
                            + "\nmmdebstrap stderr (last lines):\n" + run.stderrTail(STDERR_LINES, "\n"), e.getCause());
                }
            }
            int finished = RootfsFinisher.finish(building, work);
            Files.move(building, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            return new Ext4Result(result.sizeBytes(), result.contentBytes(), result.entries(), result.ownershipFixes() + finished);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("rootfs build interrupted; mmdebstrap killed");
        } finally {
            if (!done) {
                Files.deleteIfExists(building);
            }
            try {
                if (unshareTmp != null) unshareTmp.close();
            } finally {
                FileTrees.deleteRecursively(work);
            }
        }
    }

    /** mmdebstrap exited with an error after writing its tar (or none): its own stderr says why. */
    private static final class MmdebstrapFailed extends IOException {
        MmdebstrapFailed(int exit, String stderrTail) {
            super("mmdebstrap failed (exit " + exit + "):\n" + stderrTail);
        }
    }

    /**
     * The converter's progress while the tar streams in: reported as build_rootfs (the stage that is
     * running), and under the converter's own stage names once {@link #end()} says mmdebstrap is done.
     */
    static final class StreamedStage implements ProgressSink {
        private final ProgressSink progress;
        private volatile boolean ended;

        StreamedStage(ProgressSink progress) {
            this.progress = progress;
        }

        void end() {
            ended = true;
        }

        @Override
        public void report(String stage, String detail) {
            progress.report(ended ? stage : STAGE, detail);
        }

        @Override
        public void report(String stage, String detail, long bytesDone, long bytesTotal) {
            progress.report(ended ? stage : STAGE, detail, bytesDone, bytesTotal);
        }
    }

    private static void awaitQuietly(FutureTask<?> task) {
        try {
            task.get(TERM_GRACE.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // The conversion fails once its input dies; all we need is for its cleanup to have run.
        }
    }

    /** Notes when the first tar byte arrives: the end of mmdebstrap's own work in a streamed build. */
    static final class FirstByteClock extends java.io.FilterInputStream {
        private volatile long firstByteNanos;

        FirstByteClock(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            noteFirstByte();
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            noteFirstByte();
            return n;
        }

        private void noteFirstByte() {
            if (firstByteNanos == 0) {
                firstByteNanos = System.nanoTime();
            }
        }

        double secondsToFirstByte(long startNanos) {
            return firstByteNanos == 0 ? 0 : (firstByteNanos - startNanos) / 1e9;
        }
    }
}
