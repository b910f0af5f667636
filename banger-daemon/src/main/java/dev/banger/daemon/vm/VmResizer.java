package dev.banger.daemon.vm;

import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmSpec;
import dev.banger.daemon.host.HostCommand;
import dev.banger.daemon.vmm.Vmm;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code vm resize}: grows a stopped VM's root disk (through the VMM driver; the guest grows its
 * filesystem at the next boot) and its work disk (a raw ext4 file, grown on the host: checked,
 * lengthened sparsely, resize2fs). The caller holds the VM's lock and has checked it is not running.
 * Both requests are checked before either disk is touched, so a refusal changes nothing.
 */
final class VmResizer {
    /** e2fsck -f and resize2fs read the metadata only: seconds for a few GiB, minutes at worst. */
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(10);

    private final Vmm vmm;
    private final VmRows rows;

    VmResizer(Vmm vmm, VmRows rows) {
        this.vmm = vmm;
        this.rows = rows;
    }

    /**
     * {@code rootBytes}/{@code workBytes}: the new sizes, or null to leave that disk alone; {@code image}
     * (the VM's, for the size of a root disk from before root sizes existed) is only needed with a root size.
     * Returns the updated row.
     */
    VmRecord resize(VmRecord vm, ImageRecord image, Long rootBytes, Long workBytes) throws IOException, InterruptedException {
        VmSpec spec = vm.spec();
        Path rootDisk = Path.of(vm.runtime().overlayPath());
        Path workDisk = Path.of(vm.runtime().workDiskPath());
        long rootNow = rootBytes == null ? spec.rootDiskBytes() : DiskSizes.rootBytes(spec, image);
        long workNow = exists(workDisk) ? Math.max(spec.workDiskBytes(), Files.size(workDisk)) : spec.workDiskBytes();
        if (rootBytes != null) DiskSizes.checkGrowth("root disk", rootNow, rootBytes);
        if (workBytes != null) DiskSizes.checkGrowth("work disk", workNow, workBytes);

        VmRecord current = vm;
        if (rootBytes != null && rootBytes > rootNow) {
            // A disk not made yet (a VM created with --no-start) is made at the new size by its first start.
            if (exists(rootDisk)) vmm.resizeRootDisk(rootDisk, rootBytes);
            current = save(current, current.spec().withDiskSizes(rootBytes, current.spec().workDiskBytes()));
        }
        if (workBytes != null && workBytes > workNow) {
            if (exists(workDisk)) growWorkDisk(workDisk, workBytes);
            current = save(current, current.spec().withDiskSizes(current.spec().rootDiskBytes(), workBytes));
        }
        return current;
    }

    private VmRecord save(VmRecord vm, VmSpec spec) {
        VmRecord updated = vm.withSpec(spec);
        rows.store().upsertVm(updated);
        return updated;
    }

    private static boolean exists(Path disk) {
        return Files.exists(disk, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * e2fsck -f first: resize2fs refuses a filesystem not freshly checked, and a VM that was killed
     * left its journal to replay (exit 1, "corrected", is fine; more is damage, reported and left
     * alone). Then the file is made longer (sparse: nothing is written) and resize2fs fills it; if
     * resize2fs fails the file gets its old length back, so the disk is as it was.
     */
    static void growWorkDisk(Path disk, long bytes) throws IOException, InterruptedException {
        if (!Files.isRegularFile(disk, LinkOption.NOFOLLOW_LINKS)) throw new IOException("work disk is not a regular file: " + disk);
        HostCommand.Result fsck = HostCommand.of(List.of("e2fsck", "-f", "-p", disk.toString()), TOOL_TIMEOUT).runUnchecked();
        if (fsck.exitCode() > 1) {
            throw new IOException("work disk " + disk + " failed its check (e2fsck exit " + fsck.exitCode() + "), not resized: "
                    + fsck.tail(3, " | "));
        }
        long before = Files.size(disk);
        setLength(disk, bytes);
        try {
            HostCommand.of(List.of("resize2fs", disk.toString()), TOOL_TIMEOUT).run();
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                setLength(disk, before);
            } catch (IOException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
    }

    private static void setLength(Path file, long bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(bytes);
        }
    }
}
