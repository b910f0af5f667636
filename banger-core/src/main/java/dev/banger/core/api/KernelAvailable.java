package dev.banger.core.api;

/** One element of {@code kernel.catalog}: a catalog entry and whether it is already pulled. */
public record KernelAvailable(String name, String distro, String arch, String kernelVersion, long sizeBytes,
                              String description, String tarballUrl, boolean pulled) { }
