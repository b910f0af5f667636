package dev.banger.daemon.image.oci;

import java.util.List;

/**
 * The result of a pull: the linux/amd64 manifest's digest, its runtime config, and its layers
 * bottom first (paths inside the blob cache, shared between images: do not modify or delete them).
 */
public record PulledImage(ImageReference ref, String manifestDigest, ImageConfig config, List<LayerBlob> layers) {
    public PulledImage {
        layers = List.copyOf(layers);
    }
}
