package dev.banger.daemon.image.build;

import java.io.IOException;

/**
 * How much one image (all its layers together) may unpack: an image is untrusted input, and a
 * layer of millions of empty files or a zip-bomb of content must fail with a clear error instead
 * of exhausting the daemon's heap or the disk. Set by {@code image_max_entries} and
 * {@code image_max_content_gib} (docs/configuration.md).
 */
public record ExtractionLimits(long maxEntries, long maxContentBytes) {
    public static final ExtractionLimits DEFAULT = new ExtractionLimits(2_000_000, 64L << 30);

    public ExtractionLimits {
        if (maxEntries <= 0 || maxContentBytes <= 0) throw new IllegalArgumentException("limits must be positive");
    }

    void checkEntries(long entries) throws IOException {
        if (entries > maxEntries) {
            throw new IOException("image has more than " + maxEntries + " entries (the limit is image_max_entries in config.toml)");
        }
    }

    void checkContent(long bytes) throws IOException {
        if (bytes > maxContentBytes) {
            throw new IOException("image content is larger than " + maxContentBytes
                    + " bytes (the limit is image_max_content_gib in config.toml)");
        }
    }
}
