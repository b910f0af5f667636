package dev.banger.daemon.image.catalog;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.image.build.TarToExt4;
import dev.banger.daemon.image.build.UnsafeEntryException;
import dev.banger.daemon.kernel.IdleWatchdog;
import dev.banger.daemon.kernel.KernelPuller;
import dev.banger.daemon.kernel.PipedBody;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

/**
 * Downloads the root filesystem of an {@link ImageCatalogEntry} and leaves it as an ext4 image.
 * The body is hashed on its way in (as the kernel puller does, through {@link PipedBody}) and
 * decompressed and written in the same pass: a tar is converted by {@link TarToExt4}, an ext4
 * payload is written out sparsely. Both land in a hidden temp sibling of the output first, since
 * the sha256 is only known once the last byte arrived; only a payload whose sha256 (and size, when
 * the catalog lists one) matches, and which is an ext4 filesystem, is renamed onto the output.
 * Any failure, interruption included, leaves neither the output nor a temp file behind.
 */
public final class ImageBundlePuller {
    public static final String STAGE = "pull_image";
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(60);
    private static final long REPORT_BYTES = 8L << 20;
    private static final long REPORT_NANOS = 1_000_000_000L;
    private static final int BLOCK = 64 << 10;
    private static final byte[] ZEROS = new byte[BLOCK];

    private final HttpClient http;
    private final TarToExt4 tarToExt4;
    private final Duration idleTimeout;

    public ImageBundlePuller(HttpClient http, TarToExt4 tarToExt4) {
        this(http, tarToExt4, DEFAULT_IDLE_TIMEOUT);
    }

    /** idleTimeout: how long the body may deliver no bytes at all before the pull gives up. */
    ImageBundlePuller(HttpClient http, TarToExt4 tarToExt4, Duration idleTimeout) {
        this.http = Objects.requireNonNull(http, "http");
        this.tarToExt4 = Objects.requireNonNull(tarToExt4, "tarToExt4");
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
    }

    /**
     * Writes e's root filesystem as an ext4 image at outExt4, whose directory must exist and which
     * must not exist yet. The caller serialises pulls to the same output (ImageService stages each
     * build in its own directory).
     */
    public void fetchRootfs(ImageCatalogEntry e, Path outExt4, ProgressSink progress) throws IOException, InterruptedException {
        Objects.requireNonNull(e, "entry");
        Objects.requireNonNull(outExt4, "outExt4");
        Objects.requireNonNull(progress, "progress");
        Path out = outExt4.toAbsolutePath().normalize();
        Path dir = out.getParent();
        if (dir == null || out.getFileName() == null || !Files.isDirectory(dir)) {
            throw new IOException("output directory does not exist or is not a directory: " + dir);
        }
        if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(out.toString(), null, "will not overwrite an existing file");
        }
        Path tmp = dir.resolve("." + out.getFileName() + ".pull-" + UUID.randomUUID());
        try {
            download(e, tmp, progress);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            progress.report(STAGE, "pulled image " + e.name());
        } catch (Throwable t) {
            // Interrupted or not, the temp file goes; deleting does not use interruptible channels.
            FileTrees.deleteQuietly(tmp, t);
            if (Thread.interrupted() && !(t instanceof InterruptedException)) {
                InterruptedException ie = new InterruptedException("pull of image " + e.name() + " interrupted");
                ie.initCause(t);
                throw ie;
            }
            throw t;
        }
    }

    private void download(ImageCatalogEntry e, Path tmp, ProgressSink progress) throws IOException, InterruptedException {
        String url = e.rootfsUrl();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(HEADERS_TIMEOUT).GET().build();
        progress.report(STAGE, "downloading " + url);
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException ex) {
            throw new IOException("GET " + url + ": " + KernelPuller.describe(ex), ex);
        }
        MessageDigest sha = sha256();
        IdleWatchdog watchdog = new IdleWatchdog(idleTimeout, "image-pull-watchdog");
        PipedBody.Listener limit = total -> {
            watchdog.touch();
            if (e.sizeBytes() > 0 && total > e.sizeBytes()) {
                throw new IOException("GET " + url + ": body is larger than the " + e.sizeBytes()
                        + " bytes the catalog lists");
            }
        };
        try (InputStream body = resp.body();
             PipedBody piped = new PipedBody(body, sha, limit, "image-pull-" + e.name());
             watchdog) {
            if (resp.statusCode() / 100 != 2) {
                throw new IOException("GET " + url + ": HTTP " + resp.statusCode());
            }
            long expected = e.sizeBytes() > 0 ? e.sizeBytes() : resp.headers().firstValueAsLong("content-length").orElse(-1);
            watchdog.start(piped.readerThread());
            piped.start();
            Progress counted = new Progress(piped, expected, progress, watchdog);
            try {
                if (e.isTar()) {
                    try (InputStream tar = decompressing(e.format(), counted)) {
                        tarToExt4.convert(tar, tmp, progress);
                    }
                } else {
                    try (InputStream image = decompressing(e.format(), counted)) {
                        writeSparse(image, tmp);
                    }
                }
                // The payload ended; the rest (tar padding, compressed epilogue, anything appended) is hashed too.
                piped.drain();
            } catch (IOException ex) {
                if (watchdog.fired() && causedByInterrupt(ex)) {
                    throw new IOException("GET " + url + ": no data received for " + idleTimeout.toSeconds() + " s", ex);
                }
                if (ex.getMessage() != null && ex.getMessage().startsWith("GET ")) {
                    throw ex;
                }
                if (Thread.currentThread().isInterrupted() || ex instanceof InterruptedIOException || ex instanceof ClosedByInterruptException) {
                    throw ex;
                }
                if (ex instanceof UnsafeEntryException u) {
                    UnsafeEntryException named = new UnsafeEntryException(u.entryName(), u.reason() + " (in " + url + ")");
                    named.initCause(u);
                    throw named;
                }
                throw new IOException("image bundle " + url + " (" + e.format() + "): " + KernelPuller.describe(ex), ex);
            }
            long count = piped.count();
            if (e.sizeBytes() > 0 && count != e.sizeBytes()) {
                throw new IOException("size mismatch for " + url + ": expected " + e.sizeBytes() + " bytes, got " + count);
            }
            String got = HexFormat.of().formatHex(sha.digest());
            if (!got.equals(e.rootfsSha256())) {
                throw new IOException("sha256 mismatch for " + url + ": expected " + e.rootfsSha256() + ", got " + got);
            }
            progress.report(STAGE, "downloaded " + mib(count) + " MiB, sha256 ok");
            if (!e.isTar() && !isExt4(tmp)) {
                throw new IOException("image bundle " + url + " (" + e.format() + "): payload is not an ext4 filesystem");
            }
        }
    }

    private static InputStream decompressing(String format, InputStream in) throws IOException {
        return switch (format) {
            case ImageCatalogEntry.TAR_ZST, ImageCatalogEntry.EXT4_ZST -> new ZstdInputStreamNoFinalizer(in);
            case ImageCatalogEntry.TAR_GZ -> new GZIPInputStream(in, BLOCK);
            case ImageCatalogEntry.TAR, ImageCatalogEntry.EXT4 -> in;
            default -> throw new IOException("unsupported image bundle format " + format);
        };
    }

    /** Copies in to a new file, leaving all-zero blocks as holes: ext4 images are mostly empty. */
    static void writeSparse(InputStream in, Path file) throws IOException {
        byte[] buf = new byte[BLOCK];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long pos = 0;
            while (true) {
                int n = in.readNBytes(buf, 0, BLOCK);
                if (n == 0) {
                    break;
                }
                if (Arrays.mismatch(buf, 0, n, ZEROS, 0, n) >= 0) {
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    long at = pos;
                    while (bb.hasRemaining()) {
                        at += ch.write(bb, at);
                    }
                }
                pos += n;
                if (n < BLOCK) {
                    break;
                }
            }
            if (ch.size() < pos) {
                // A trailing hole: writing the (zero) last byte sets the length.
                ch.write(ByteBuffer.wrap(new byte[1]), pos - 1);
            }
        }
    }

    /** The ext4 superblock magic 0xEF53 (little-endian) at byte 1080. */
    static boolean isExt4(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (ch.read(b, 1080 + b.position()) < 0) {
                    return false;
                }
            }
            return (b.getShort(0) & 0xFFFF) == 0xEF53;
        }
    }

    private static boolean causedByInterrupt(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InterruptedIOException || c instanceof ClosedByInterruptException || c instanceof InterruptedException) {
                return true;
            }
        }
        return false;
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

    /**
     * Reports progress on the caller's thread (the sink need not be thread-safe) and counts consumer
     * reads as activity for the watchdog. Does not close the piped body: its owner does.
     */
    private static final class Progress extends FilterInputStream {
        private final PipedBody piped;
        private final long expected;
        private final ProgressSink progress;
        private final IdleWatchdog watchdog;
        private long lastReportBytes;
        private long lastReportNanos = System.nanoTime();

        Progress(PipedBody piped, long expected, ProgressSink progress, IdleWatchdog watchdog) {
            super(piped);
            this.piped = piped;
            this.expected = expected;
            this.progress = progress;
            this.watchdog = watchdog;
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
            watchdog.touch();
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
