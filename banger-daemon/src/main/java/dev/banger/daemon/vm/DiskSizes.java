package dev.banger.daemon.vm;

import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.Sizes;
import dev.banger.core.model.VmSpec;
import dev.banger.core.rpc.RpcException;

/**
 * The size rules of a VM's two disks, in one place: how a size given by the user is read, that a
 * root disk holds its image, and that a disk only grows. Every refusal is invalid input, in one line.
 */
final class DiskSizes {
    /** Sizes are kept in whole MiB: qemu-img and the guest's block layer want sector multiples, and nobody asks for less. */
    static final long ALIGN = 1L << 20;

    private DiskSizes() { }

    /** A size as the user typed it ("8G", "1.5GiB", "1073741824"), rounded up to a whole MiB. */
    static long parse(String option, String text) {
        try {
            return roundUp(Sizes.parse(text));
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid(option + ": " + e.getMessage());
        }
    }

    static long roundUp(long bytes) {
        return Math.ceilDiv(bytes, ALIGN) * ALIGN;
    }

    /** The root disk must hold the image's filesystem: a smaller one would cut it off. */
    static void checkRootFits(long rootBytes, ImageRecord image) {
        if (rootBytes < image.sizeBytes()) {
            throw RpcException.invalid("root size " + Sizes.human(rootBytes) + " is smaller than image " + image.name()
                    + " (" + Sizes.human(image.sizeBytes()) + "); use at least " + Sizes.human(roundUp(image.sizeBytes())));
        }
    }

    /**
     * The size the root disk has (or will be made with): the spec's, or for a VM from before root sizes
     * existed (0 in its row) the image's own; never less than the image.
     */
    static long rootBytes(VmSpec spec, ImageRecord image) {
        return Math.max(spec.rootDiskBytes(), image.sizeBytes());
    }

    /**
     * Grow only: ext4 is grown in place (resize2fs on the host, the kernel's online resize in the
     * guest), and a smaller disk would cut off the filesystem's end with whatever data lives there.
     */
    static void checkGrowth(String disk, long currentBytes, long requestedBytes) {
        if (requestedBytes < currentBytes) {
            throw RpcException.invalid("cannot shrink the " + disk + " from " + Sizes.human(currentBytes) + " to "
                    + Sizes.human(requestedBytes) + ": disks only grow (shrinking would cut off the end of its filesystem)");
        }
    }
}
