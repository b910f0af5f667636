package dev.banger.core.model;

import java.time.Instant;

/** A registered root filesystem: a read-only ext4 base shared by every VM made from it. */
public record ImageRecord(String id, String name, String rootfsPath, String kernelRef, String source,
                          long sizeBytes, Instant createdAt) { }
