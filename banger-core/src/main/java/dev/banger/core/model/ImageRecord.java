package dev.banger.core.model;

import java.time.Instant;

/**
 * A registered root filesystem: a read-only ext4 base shared by every VM made from it.
 * {@code config} is what the image asks to run ({@link ImageRunConfig#NONE} for plain root filesystems).
 */
public record ImageRecord(String id, String name, String rootfsPath, String kernelRef, String source,
                          long sizeBytes, Instant createdAt, ImageRunConfig config) {
    public ImageRecord {
        config = config == null ? ImageRunConfig.NONE : config;
    }
}
