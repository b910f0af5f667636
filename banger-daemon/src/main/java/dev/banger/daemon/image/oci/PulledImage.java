package dev.banger.daemon.image.oci;

import dev.banger.core.model.ImageRunConfig;
import java.util.List;

/**
 * The result of a pull: the linux/amd64 manifest's digest, its runtime config, and its layers
 * bottom first (paths inside the blob cache, shared between images: do not modify or delete them).
 */
public record PulledImage(ImageReference ref, String manifestDigest, ImageRunConfig config, List<LayerBlob> layers) {
    public PulledImage {
        layers = List.copyOf(layers);
    }
}
