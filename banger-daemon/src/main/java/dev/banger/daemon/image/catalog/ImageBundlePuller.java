package dev.banger.daemon.image.catalog;

import dev.banger.daemon.fs.Ext4Magic;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.fetch.VerifiedDownload;
import dev.banger.daemon.image.build.TarToExt4;
import dev.banger.daemon.image.build.UnsafeEntryException;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

/**
 * Downloads the root filesystem of an {@link ImageCatalogEntry} and leaves it as an ext4 image.
 * The body is hashed on its way in (as the kernel puller does, through {@link VerifiedDownload}) and
 * decompressed and written in the same pass: a tar is converted by {@link TarToExt4}, an ext4
 * payload is written out sparsely. Both land in a hidden temp sibling of the output first, since
 * the sha256 is only known once the last byte arrived; only a payload whose sha256 (and size, when
 * the catalog lists one) matches, and which is an ext4 filesystem, is renamed onto the output.
 * Any failure, interruption included, leaves neither the output nor a temp file behind.
 */
public final class ImageBundlePuller {
    public static final String STAGE = "pull_image";
    private static final int BLOCK = 64 << 10;
    private static final byte[] ZEROS = new byte[BLOCK];

    private final TarToExt4 tarToExt4;
    private final VerifiedDownload download;

    public ImageBundlePuller(HttpClient http, TarToExt4 tarToExt4) {
        this(http, tarToExt4, VerifiedDownload.DEFAULT_IDLE_TIMEOUT);
    }

    /** idleTimeout: how long the body may deliver no bytes at all before the pull gives up. */
    ImageBundlePuller(HttpClient http, TarToExt4 tarToExt4, Duration idleTimeout) {
        this.tarToExt4 = Objects.requireNonNull(tarToExt4, "tarToExt4");
        this.download = new VerifiedDownload(http, STAGE, "image-pull", idleTimeout);
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
        VerifiedDownload.cleaningUp(tmp, "pull of image " + e.name(), () -> {
            String url = e.rootfsUrl();
            download.fetch(new VerifiedDownload.Expected(url, e.rootfsSha256(), e.sizeBytes()), e.name(), progress, body -> {
                try (InputStream payload = decompressing(e.format(), body)) {
                    if (e.isTar()) {
                        tarToExt4.convert(payload, tmp, progress);
                    } else {
                        writeSparse(payload, tmp);
                    }
                }
                return null;
            }, ex -> {
                if (ex instanceof UnsafeEntryException u) {
                    UnsafeEntryException named = new UnsafeEntryException(u.entryName(), u.reason() + " (in " + url + ")");
                    named.initCause(u);
                    return named;
                }
                return new IOException("image bundle " + url + " (" + e.format() + "): " + VerifiedDownload.describe(ex), ex);
            });
            if (!e.isTar() && !Ext4Magic.isExt4(tmp)) {
                throw new IOException("image bundle " + url + " (" + e.format() + "): payload is not an ext4 filesystem");
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            progress.report(STAGE, "pulled image " + e.name());
            return null;
        });
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
}
