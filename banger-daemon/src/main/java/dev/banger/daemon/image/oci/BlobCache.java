package dev.banger.daemon.image.oci;

import dev.banger.daemon.fs.Sha256;
import dev.banger.core.ProgressSink;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;

/**
 * A content-addressed store of verified blobs: {@code dir/sha256/<hex>}. A blob appears under its
 * name only after its bytes hashed to that name, via an atomic rename of a private temp file, so
 * readers never see a partial blob and concurrent writers of one digest are harmless.
 *
 * <p>The cache is capped ({@code blob_cache_max_gib}): a blob's mtime is its last use (touched on
 * every hit), and after a pull the least recently used blobs go until the cache fits. A pull holds
 * {@link #inUse()} from its first blob until its layers are flattened, so neither eviction nor
 * {@link #clear()} removes a blob under it.
 */
public final class BlobCache {
    private static final Pattern SHA256 = Pattern.compile("sha256:([0-9a-f]{64})");
    private static final int BUFFER = 64 * 1024;
    static final String STAGE = "pull_image";

    private final Path dir;
    private final long maxBytes;
    /** Shared: pulls using blobs; exclusive: eviction and clear. */
    private final ReentrantReadWriteLock users = new ReentrantReadWriteLock();

    public BlobCache(Path dir) {
        this(dir, 0);
    }

    /** maxBytes: evict down to this after a pull; 0 keeps everything. */
    public BlobCache(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /** Held while blobs are being used; close it in the thread that opened it. */
    public interface InUse extends AutoCloseable {
        @Override
        void close();
    }

    public InUse inUse() {
        users.readLock().lock();
        return () -> users.readLock().unlock();
    }

    /** What eviction or clear removed. */
    public record Freed(int blobs, long bytes) { }

    /**
     * Removes least recently used blobs until the cache fits its cap. Skipped (returns nothing
     * freed) while another pull uses blobs: the last pull to finish evicts.
     */
    public Freed evictToCap() throws IOException {
        if (maxBytes <= 0 || !users.writeLock().tryLock()) return new Freed(0, 0);
        try {
            List<Blob> blobs = blobs();
            long total = blobs.stream().mapToLong(Blob::size).sum();
            blobs.sort(Comparator.comparing(Blob::lastUse));
            int n = 0;
            long freed = 0;
            for (Blob b : blobs) {
                if (total <= maxBytes) break;
                Files.deleteIfExists(b.path());
                total -= b.size();
                freed += b.size();
                n++;
            }
            return new Freed(n, freed);
        } finally {
            users.writeLock().unlock();
        }
    }

    /** Removes every blob, waiting for pulls that use blobs to finish. */
    public Freed clear() throws IOException, InterruptedException {
        users.writeLock().lockInterruptibly();
        try {
            int n = 0;
            long freed = 0;
            for (Blob b : blobs()) {
                Files.deleteIfExists(b.path());
                freed += b.size();
                n++;
            }
            return new Freed(n, freed);
        } finally {
            users.writeLock().unlock();
        }
    }

    private record Blob(Path path, long size, FileTime lastUse) { }

    private List<Blob> blobs() throws IOException {
        Path sha = dir.resolve("sha256");
        List<Blob> out = new ArrayList<>();
        if (!Files.isDirectory(sha)) return out;
        try (var s = Files.newDirectoryStream(sha, p -> SHA256.matcher("sha256:" + p.getFileName()).matches())) {
            for (Path p : s) {
                try {
                    out.add(new Blob(p, Files.size(p), Files.getLastModifiedTime(p)));
                } catch (java.nio.file.NoSuchFileException e) {
                    // removed meanwhile
                }
            }
        }
        return out;
    }

    public Path dir() {
        return dir;
    }

    /** The blob's path if it is stored. */
    public Optional<Path> find(String digest) {
        Path p = pathFor(digest);
        if (!Files.isRegularFile(p)) return Optional.empty();
        try {
            Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis()));   // last use, for eviction
        } catch (IOException e) {
            // a read-only cache still serves; it only evicts less precisely
        }
        return Optional.of(p);
    }

    /** Where {@code digest} lives (or would live); refuses anything but a well-formed sha256 digest. */
    public Path pathFor(String digest) {
        return dir.resolve("sha256").resolve(hex(digest));
    }

    /**
     * Streams {@code in} into the cache under {@code digest}, verifying the content. On mismatch,
     * I/O error or interruption the temp file is deleted and nothing is stored. If another writer
     * stored the same blob meanwhile, theirs is kept (the content is the same by construction).
     * Reports {@code pull_image} progress as {@code "sha256:abcd1234ef56… 12.3 MiB"}, about once a
     * second and once at the end.
     */
    public Path store(String digest, InputStream in, ProgressSink progress) throws IOException {
        String hex = hex(digest);
        Path target = dir.resolve("sha256").resolve(hex);
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".tmp-" + hex.substring(0, 12) + "-", ".partial");
        try {
            MessageDigest sha = Sha256.newDigest();
            long total = 0;
            long lastReport = System.nanoTime();
            try (OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[BUFFER];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (Thread.currentThread().isInterrupted()) throw new InterruptedIOException("interrupted storing " + digest);
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                    total += n;
                    if (System.nanoTime() - lastReport > 1_000_000_000L) {
                        lastReport = System.nanoTime();
                        progress.report(STAGE, shortDigest(digest) + " " + humanBytes(total), total, -1);
                    }
                }
            }
            String got = Sha256.hex(sha);
            if (!got.equals(hex)) throw new IOException("digest mismatch for " + digest + ": got sha256:" + got);
            if (!Files.exists(target)) { // else a peer stored it first: keep theirs (identical by construction)
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException e) {
                    // a peer won the race on a platform where rename does not replace
                }
            }
            progress.report(STAGE, shortDigest(digest) + " " + humanBytes(total), total, total);
            return target;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@code sha256:} and the first 12 hex digits, then an ellipsis. */
    public static String shortDigest(String digest) {
        int colon = digest.indexOf(':');
        return digest.length() > colon + 13 ? digest.substring(0, colon + 13) + "\u2026" : digest;
    }

    public static String humanBytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format(java.util.Locale.ROOT, "%.1f KiB", n / 1024.0);
        if (n < 1024L * 1024 * 1024) return String.format(java.util.Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        return String.format(java.util.Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
    }

    static String hex(String digest) {
        if (digest == null) throw new IllegalArgumentException("no digest");
        var m = SHA256.matcher(digest);
        if (!m.matches()) {
            int colon = digest.indexOf(':');
            if (colon > 0 && !digest.startsWith("sha256:")) {
                throw new IllegalArgumentException("unsupported digest algorithm " + digest.substring(0, colon) + " (only sha256): " + digest);
            }
            throw new IllegalArgumentException("invalid digest " + digest + " (want sha256:<64 lowercase hex>)");
        }
        return m.group(1);
    }

    static String sha256(byte[] bytes) {
        return "sha256:" + Sha256.of(bytes);
    }
}
