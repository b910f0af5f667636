package dev.banger.daemon.image.build;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.core.ProgressSink;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

    private static final long TERM_GRACE_SECONDS = 30;

    private final TarToExt4 converter;
    private final Path scratchParent;

    public DebianRootfsBuilder(TarToExt4 converter, Path scratchParent) {
        this.converter = Objects.requireNonNull(converter, "converter");
        this.scratchParent = Objects.requireNonNull(scratchParent, "scratchParent");
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
        MmdebstrapMode mode = MmdebstrapMode.detect();
        List<String> cmd = MmdebstrapCommand.build(mode, suite, List.copyOf(packages), mirror);
        progress.report(STAGE, "mmdebstrap --mode=" + mode.arg + " " + suite + " (" + packages.size() + " extra packages)");

        Path work = Files.createTempDirectory(scratchParent, "rootfs-");
        Path building = target.resolveSibling("." + target.getFileName() + ".building");
        Process process = null;
        boolean done = false;
        try {
            Path tmp = Files.createDirectory(work.resolve("tmp"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            // mmdebstrap keeps its chroot under TMPDIR; pin it to our scratch so a crash leaves it where we clean.
            pb.environment().put("TMPDIR", tmp.toString());
            pb.environment().put("LC_ALL", "C.UTF-8");
            long start = System.nanoTime();
            process = pb.start();
            StderrPump pump = new StderrPump(process.getErrorStream(), progress, STAGE);
            Thread pumpThread = Thread.ofVirtual().name("mmdebstrap-stderr").start(pump);

            FirstByteClock clock = new FirstByteClock(process.getInputStream());
            Process p = process;
            FutureTask<Ext4Result> conversion = new FutureTask<>(() -> converter.convert(clock, building, progress));
            Thread.ofVirtual().name("rootfs-tar2ext4").start(conversion);
            Ext4Result result;
            try {
                result = conversion.get();
            } catch (InterruptedException e) {
                terminate(p);
                awaitQuietly(conversion);
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("rootfs build interrupted; mmdebstrap killed");
            } catch (ExecutionException e) {
                terminate(p);
                pumpThread.join(TimeUnit.SECONDS.toMillis(5));
                throw new IOException("rootfs build failed: " + e.getCause().getMessage()
                        + "\nmmdebstrap stderr (last lines):\n" + pump.tail(), e.getCause());
            }
            int rc = p.waitFor();
            pumpThread.join(TimeUnit.SECONDS.toMillis(5));
            if (rc != 0) {
                throw new IOException("mmdebstrap failed (exit " + rc + "):\n" + pump.tail());
            }
            long end = System.nanoTime();
            progress.report(STAGE, String.format("mmdebstrap %.1f s until the tar started, %.1f s total with tar->ext4",
                    clock.secondsToFirstByte(start), (end - start) / 1e9));
            int finished = RootfsFinisher.finish(building, work);
            Files.move(building, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            return new Ext4Result(result.sizeBytes(), result.contentBytes(), result.entries(), result.ownershipFixes() + finished);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("rootfs build interrupted");
        } finally {
            if (process != null && process.isAlive()) {
                terminate(process);
            }
            if (!done) {
                Files.deleteIfExists(building);
            }
            FileTrees.deleteRecursively(work);
        }
    }

    /**
     * SIGTERM first so mmdebstrap can tear down its chroot (in unshare mode its files belong to
     * subordinate ids we cannot delete ourselves), then SIGKILL everything it started.
     */
    static void terminate(Process p) {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        boolean exited = false;
        try {
            exited = p.waitFor(TERM_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        if (!exited) {
            ProcessRunner.kill(p);
        }
    }

    private static void awaitQuietly(FutureTask<?> task) {
        try {
            task.get(TERM_GRACE_SECONDS, TimeUnit.SECONDS);
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
