package dev.banger.core.api;

/** One element of {@code image.catalog}: a catalog bundle and whether it is already pulled. */
public record ImageAvailable(String name, String kernelRef, String format, long sizeBytes, String description,
                             String rootfsUrl, boolean pulled) { }
