package dev.banger.daemon.image.oci;

import java.nio.file.Path;

/** One pulled layer: its verified blob in the {@link BlobCache}, and how it is compressed ({@code mediaType}). */
public record LayerBlob(Path path, String mediaType, String digest, long size) { }
