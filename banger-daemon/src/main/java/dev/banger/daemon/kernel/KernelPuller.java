package dev.banger.daemon.kernel;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.fs.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Downloads a kernel bundle listed in a {@link RemoteCatalog} into the local {@link KernelCatalog}.
 * The body is hashed, decompressed and unpacked in one pass (no temp tarball), into a hidden staging
 * directory next to the target; only a bundle whose sha256 matches the catalog and whose vmlinux is
 * an ELF file is renamed into place. Any failure, interruption included, leaves nothing behind.
 */
public final class KernelPuller {
    static final String STAGE = "pull_kernel";
    private static final Logger LOG = LoggerFactory.getLogger(KernelPuller.class);
    private static final long REPORT_BYTES = 8L << 20;
    private static final long REPORT_NANOS = 1_000_000_000L;
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(60);
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);

    private final KernelCatalog catalog;
    private final HttpClient http;
    private final Duration idleTimeout;

    public KernelPuller(KernelCatalog catalog, HttpClient http) {
        this(catalog, http, DEFAULT_IDLE_TIMEOUT);
    }

    /** idleTimeout: how long the body may deliver no bytes at all before the pull gives up. */
    KernelPuller(KernelCatalog catalog, HttpClient http, Duration idleTimeout) {
        this.catalog = catalog;
        this.http = http;
        this.idleTimeout = idleTimeout;
    }

    /** The caller holds the per-name kernel lock. */
    public KernelEntry pull(CatalogEntry entry, boolean force, ProgressSink progress) throws IOException, InterruptedException {
        String name = entry.name();
        KernelCatalog.validateName(name);
        Path kernelsDir = catalog.kernelsDir();
        Path target = kernelsDir.resolve(name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !force) {
            throw new FileAlreadyExistsException(target.toString(), null,
                    "kernel " + name + " is already pulled (use --force to replace it)");
        }
        Files.createDirectories(kernelsDir);
        Path staging = kernelsDir.resolve("." + name + ".pull-" + UUID.randomUUID());
        Files.createDirectory(staging);
        try {
            String vmlinuxSha = download(entry, staging, progress);
            Path vmlinux = staging.resolve(BundleExtractor.VMLINUX);
            if (!Files.isRegularFile(vmlinux, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("bundle " + entry.tarballUrl() + " has no vmlinux");
            }
            if (!hasElfMagic(vmlinux)) {
                throw new IOException("bundle " + entry.tarballUrl() + ": vmlinux is not an ELF file (bundles carry an uncompressed vmlinux)");
            }
            progress.report(STAGE, "verified " + name + ", installing");
            KernelEntry staged = new KernelEntry(name, entry.distro(), entry.arch(), entry.kernelVersion(),
                    vmlinuxSha, "pull:" + entry.tarballUrl(), Instant.now(), staging);
            Manifest.write(staged);
            publish(name, staging, target, force);
            progress.report(STAGE, "pulled " + name + " (" + entry.kernelVersion() + ")");
            return catalog.find(name).orElseThrow(() -> new IOException("kernel " + name + " vanished right after pull"));
        } catch (Throwable e) {
            // Interrupted or not, the staging tree goes; deleting does not use interruptible channels.
            FileTrees.deleteQuietly(staging, e);
            if (Thread.interrupted() && !(e instanceof InterruptedException)) {
                InterruptedException ie = new InterruptedException("pull of kernel " + name + " interrupted");
                ie.initCause(e);
                throw ie;
            }
            throw e;
        }
    }

    /** Returns the sha256 of vmlinux, computed as it was written. */
    private String download(CatalogEntry entry, Path staging, ProgressSink progress) throws IOException, InterruptedException {
        String url = entry.tarballUrl();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(HEADERS_TIMEOUT).GET().build();
        progress.report(STAGE, "downloading " + url);
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new IOException("GET " + url + ": " + describe(e), e);
        }
        MessageDigest sha = sha256();
        IdleWatchdog watchdog = new IdleWatchdog(idleTimeout, "kernel-pull-watchdog");
        PipedBody.Listener limit = total -> {
            watchdog.touch();
            if (entry.sizeBytes() > 0 && total > entry.sizeBytes()) {
                throw new IOException("GET " + url + ": body is larger than the " + entry.sizeBytes()
                        + " bytes the catalog lists");
            }
        };
        try (InputStream body = resp.body();
             PipedBody piped = new PipedBody(body, sha, limit, "kernel-pull-" + entry.name());
             watchdog) {
            if (resp.statusCode() / 100 != 2) {
                throw new IOException("GET " + url + ": HTTP " + resp.statusCode());
            }
            long expected = entry.sizeBytes() > 0 ? entry.sizeBytes() : resp.headers().firstValueAsLong("content-length").orElse(-1);
            watchdog.start(piped.readerThread());
            piped.start();
            Progress counted = new Progress(piped, expected, progress);
            String vmlinuxSha;
            try {
                vmlinuxSha = BundleExtractor.extractHashingVmlinux(counted, staging);
                // The tar ended; the rest (tar padding, zstd epilogue, anything appended) is hashed too.
                piped.drain();
            } catch (IOException e) {
                if (watchdog.fired()) {
                    throw new IOException("GET " + url + ": no data received for " + idleTimeout.toSeconds() + " s", e);
                }
                if (e instanceof BundleEntryException || e.getMessage() != null && e.getMessage().startsWith("GET ")) {
                    throw e;
                }
                if (Thread.currentThread().isInterrupted() || e instanceof InterruptedIOException || e instanceof ClosedByInterruptException) {
                    throw e;
                }
                throw new IOException("bundle " + url + ": " + describe(e), e);
            }
            long count = piped.count();
            if (entry.sizeBytes() > 0 && count != entry.sizeBytes()) {
                throw new IOException("size mismatch for " + url + ": expected " + entry.sizeBytes() + " bytes, got " + count);
            }
            String got = HexFormat.of().formatHex(sha.digest());
            if (!got.equals(entry.tarballSha256())) {
                throw new IOException("sha256 mismatch for " + url + ": expected " + entry.tarballSha256() + ", got " + got);
            }
            progress.report(STAGE, "downloaded " + mib(count) + " MiB, sha256 ok");
            return vmlinuxSha;
        }
    }

    private void publish(String name, Path staging, Path target, boolean force) throws IOException {
        Path kernelsDir = staging.getParent();
        Path old = null;
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!force) {
                throw new FileAlreadyExistsException(target.toString(), null,
                        "kernel " + name + " is already pulled (use --force to replace it)");
            }
            old = kernelsDir.resolve("." + name + ".rm-" + UUID.randomUUID());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (old != null) {
                try {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException back) {
                    e.addSuppressed(back);
                }
            }
            throw e;
        }
        if (old != null) {
            try {
                FileTrees.deleteRecursively(old);
            } catch (IOException e) {
                // The new kernel is in place; a leftover hidden directory is only clutter.
                LOG.warn("could not delete the replaced kernel {}: {}", old, e.toString());
            }
        }
    }

    static boolean hasElfMagic(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 0x7F && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
        }
    }

    /** One line for an I/O failure, without the JDK's sometimes empty or null messages. */
    public static String describe(IOException e) {
        if (e instanceof ConnectException) {
            return "connection refused or unreachable";
        }
        if (e instanceof HttpTimeoutException) {
            return "timed out";
        }
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            Throwable c = e.getCause();
            m = c != null && c.getMessage() != null ? c.getMessage() : e.getClass().getSimpleName();
        }
        return m.replaceAll("[\\r\\n]+", " ").strip();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    private static String mib(long bytes) {
        return String.format("%.1f", bytes / 1048576.0);
    }

    /** Reports progress on the caller's thread (the sink need not be thread-safe). */
    private static final class Progress extends FilterInputStream {
        private final PipedBody piped;
        private final long expected;
        private final ProgressSink progress;
        private long lastReportBytes;
        private long lastReportNanos = System.nanoTime();

        Progress(PipedBody piped, long expected, ProgressSink progress) {
            super(piped);
            this.piped = piped;
            this.expected = expected;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            maybeReport();
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            maybeReport();
            return n;
        }

        private void maybeReport() {
            long count = piped.count();
            long now = System.nanoTime();
            if (count - lastReportBytes >= REPORT_BYTES || now - lastReportNanos >= REPORT_NANOS) {
                lastReportBytes = count;
                lastReportNanos = now;
                progress.report(STAGE, expected > 0
                        ? "downloaded " + mib(count) + " of " + mib(expected) + " MiB"
                        : "downloaded " + mib(count) + " MiB");
            }
        }

        @Override
        public void close() {
            // The piped body is closed by its owner.
        }
    }
}
