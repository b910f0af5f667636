package dev.banger.daemon.image;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.daemon.kernel.KernelEntry;

/** What the VM lifecycle needs from the image side: resolve (or auto-build) an image and its kernel. */
public interface Images {
    ImageRecord resolve(String nameOrId, ProgressSink progress) throws Exception;

    KernelEntry kernelFor(ImageRecord image, ProgressSink progress) throws Exception;
}
