package dev.banger.daemon.doctor;

import dev.banger.core.model.VmSpec;
import java.nio.file.Path;

/** Free space where images and VM disks live: below one image plus one VM's disks, the next create or build runs out. */
final class StateSpaceCheck implements Check {
    /** A default Debian image is about 1 GiB; a VM's work disk may grow to its default size, its root overlay by what it writes. */
    static final long IMAGE_BYTES = 1L << 30;
    static final long NEEDED = IMAGE_BYTES + VmSpec.DEFAULT_WORK_DISK_BYTES;

    private final Path stateDir;

    StateSpaceCheck(Path stateDir) {
        this.stateDir = stateDir;
    }

    @Override
    public String name() {
        return "state_space";
    }

    @Override
    public Finding run(HostProbe host) {
        long free = host.usableBytes(stateDir);
        String facts = stateDir + ": " + (free < 0 ? "free space unknown" : gib(free) + " free") + "; one image + one VM needs about " + gib(NEEDED);
        if (free < 0) return Finding.warn("cannot tell the free space of " + stateDir, facts, null);
        if (free < NEEDED) {
            return Finding.warn(gib(free) + " free in the state dir, less than one image and one VM need (" + gib(NEEDED) + ")", facts,
                    "free space on that file system (banger image prune; banger vm prune), or move BANGER_HOME");
        }
        return Finding.ok(gib(free) + " free in the state dir", facts);
    }

    static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
