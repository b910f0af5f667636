package dev.banger.daemon.vm;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.daemon.image.Images;
import dev.banger.daemon.kernel.KernelEntry;

/** Images for tests: every name resolves to {@code image}, booted with {@code kernel} (null: the test never boots). */
record FixedImages(ImageRecord image, KernelEntry kernel) implements Images {
    @Override
    public ImageRecord resolve(String nameOrId, ProgressSink progress) {
        return image;
    }

    @Override
    public KernelEntry kernelFor(ImageRecord i, ProgressSink progress) {
        if (kernel == null) throw new UnsupportedOperationException("not booted in this test");
        return kernel;
    }
}
