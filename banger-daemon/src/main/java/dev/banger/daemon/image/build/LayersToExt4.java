package dev.banger.daemon.image.build;

import com.github.luben.zstd.ZstdInputStream;
import dev.banger.core.ProgressSink;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * Flattens the layers of an OCI (or Docker v2) image into one ext4 root filesystem without
 * mounting anything: every layer is unpacked, bottom first, into a single scratch tree with OCI
 * whiteout semantics (see {@link ScratchExtractor}), and the tree then goes through the same
 * mkfs / debugfs / e2fsck / rename steps as {@link TarToExt4}.
 *
 * <p>Blob digests are verified by the blob cache before a layer reaches us; here the declared media
 * type decides the decompressor and must agree with the blob's magic bytes.
 */
public final class LayersToExt4 {
    static final String STAGE = Ext4Writer.STAGE;
    private static final int BUFFER = 1 << 16;

    /**
     * One layer blob as the manifest describes it.
     *
     * @param blob      the (possibly compressed) layer file, already digest-verified
     * @param mediaType the descriptor's media type, e.g. {@code application/vnd.oci.image.layer.v1.tar+zstd}
     * @param digest    the descriptor's digest; used to name the layer in errors
     */
    public record Layer(Path blob, String mediaType, String digest) {
        public Layer {
            Objects.requireNonNull(blob, "blob");
            Objects.requireNonNull(mediaType, "mediaType");
            Objects.requireNonNull(digest, "digest");
        }
    }

    enum Compression {
        NONE, GZIP, ZSTD;

        static Compression ofMediaType(String mediaType) throws IOException {
            // Suffix match covers the OCI, OCI non-distributable and Docker (…diff.tar.gzip) names alike.
            String t = mediaType.strip();
            if (t.endsWith(".tar") || t.endsWith("/tar")) {
                return NONE;
            }
            if (t.endsWith(".tar+gzip") || t.endsWith(".tar.gzip")) {
                return GZIP;
            }
            if (t.endsWith(".tar+zstd")) {
                return ZSTD;
            }
            throw new IOException("unsupported layer media type '" + mediaType + "'");
        }

        /** What the first bytes of a blob say it is. */
        static Compression ofMagic(byte[] head, int n) {
            if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
                return GZIP;
            }
            if (n >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                    && (head[3] & 0xff) == 0xfd) {
                return ZSTD;
            }
            return NONE;
        }
    }

    private final Path scratchParent;
    private final ExtractionLimits limits;

    public LayersToExt4(Path scratchParent) {
        this(scratchParent, ExtractionLimits.DEFAULT);
    }

    /** limits: for the whole image, all layers together. */
    public LayersToExt4(Path scratchParent, ExtractionLimits limits) {
        this.scratchParent = Objects.requireNonNull(scratchParent, "scratchParent");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /**
     * Writes the flattened image at {@code out} (temp file + rename); {@code layers} bottom first.
     * On any failure nothing is left behind: no output file, no scratch.
     *
     * @throws UnsafeEntryException for an entry that would escape the root, go through a symlink or
     *                              cannot be written by debugfs; the message names the entry and its layer
     */
    public Ext4Result convert(List<Layer> layers, Path out, ProgressSink progress) throws IOException {
        Objects.requireNonNull(layers, "layers");
        Objects.requireNonNull(progress, "progress");
        for (Layer l : layers) {
            Objects.requireNonNull(l, "layer");
            try {
                Compression.ofMediaType(l.mediaType());   // fail before any work on an unknown type
            } catch (IOException e) {
                throw new IOException("layer " + l.digest() + ": " + e.getMessage(), e);
            }
        }
        return Ext4Writer.write(scratchParent, "layers2ext4-", out, progress, tree -> {
            ScratchExtractor extractor = new ScratchExtractor(tree, progress, limits);
            long total = 0;
            for (Layer l : layers) total += Files.size(l.blob());
            long before = 0;
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                String detail = "extracting layer " + (i + 1) + "/" + layers.size() + " " + l.digest();
                progress.report(STAGE, detail, before, total);
                long layerSize = Files.size(l.blob());
                try (InputStream tar = open(l, new LayerBytes(progress, detail, before, total))) {
                    extractor.extractLayer(tar);
                } catch (UnsafeEntryException e) {
                    throw e.inLayer(l.digest());
                } catch (IOException e) {
                    throw new IOException("layer " + l.digest() + ": " + e.getMessage(), e);
                }
                before += layerSize;
            }
            progress.report(STAGE, "extracted " + layers.size() + " layers", total, total);
            return extractor.finish();
        });
    }

    /** The layer's tar stream, decompressed as its media type says once the magic bytes agree. */
    static InputStream open(Layer layer) throws IOException {
        return open(layer, null);
    }

    /** {@link #open(Layer)}, the blob's bytes counted by {@code counted} (the extraction's bar) when given. */
    static InputStream open(Layer layer, LayerBytes counted) throws IOException {
        Compression declared = Compression.ofMediaType(layer.mediaType());
        InputStream file = Files.newInputStream(layer.blob());
        InputStream raw = new BufferedInputStream(counted == null ? file : counted.over(file), BUFFER);
        try {
            raw.mark(4);
            byte[] head = new byte[4];
            int n = raw.readNBytes(head, 0, 4);
            raw.reset();
            Compression actual = Compression.ofMagic(head, n);
            if (actual != declared) {
                throw new IOException("media type '" + layer.mediaType() + "' says " + describe(declared)
                        + " but the blob starts like " + describe(actual));
            }
            return switch (declared) {
                case NONE -> raw;
                case GZIP -> new GZIPInputStream(raw, BUFFER);
                case ZSTD -> new BufferedInputStream(new ZstdInputStream(raw), BUFFER);
            };
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Counts a layer blob's bytes as the extraction reads them and reports them (after the layers
     * before it, of all layers' total) at most every half second: the bar of a long extraction.
     */
    static final class LayerBytes {
        private static final long REPORT_NANOS = 500_000_000L;
        private final ProgressSink progress;
        private final String detail;
        private final long before;
        private final long total;
        private long read;
        private long lastReport = System.nanoTime();

        LayerBytes(ProgressSink progress, String detail, long before, long total) {
            this.progress = progress;
            this.detail = detail;
            this.before = before;
            this.total = total;
        }

        InputStream over(InputStream in) {
            return new java.io.FilterInputStream(in) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) counted(1);
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0) counted(n);
                    return n;
                }
            };
        }

        private void counted(int n) {
            read += n;
            long now = System.nanoTime();
            if (now - lastReport >= REPORT_NANOS) {
                lastReport = now;
                progress.report(STAGE, detail, before + read, total);
            }
        }
    }

    private static String describe(Compression c) {
        return switch (c) {
            case NONE -> "an uncompressed tar";
            case GZIP -> "gzip";
            case ZSTD -> "zstd";
        };
    }
}
