package dev.banger.daemon.fs;

import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** Numeric permission bits (as tar and ext4 store them) to and from the JDK's permission sets. */
public final class PosixModes {
    /** Indexed by bit: bit 0 is others-execute, bit 8 owner-read. */
    private static final PosixFilePermission[] BY_BIT = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};

    private PosixModes() { }

    /** The rwx bits of mode (setuid, setgid and sticky have no JDK representation and are dropped). */
    public static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        for (int bit = 0; bit < BY_BIT.length; bit++) {
            if ((mode & (1 << bit)) != 0) set.add(BY_BIT[bit]);
        }
        return set;
    }

    public static int mode(Set<PosixFilePermission> permissions) {
        int m = 0;
        for (int bit = 0; bit < BY_BIT.length; bit++) {
            if (permissions.contains(BY_BIT[bit])) m |= 1 << bit;
        }
        return m;
    }
}
