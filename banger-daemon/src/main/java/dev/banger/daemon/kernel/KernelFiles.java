package dev.banger.daemon.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * What every way into the catalog (Debian import, directory import, catalog pull) accepts as a kernel: an
 * uncompressed 64-bit ELF vmlinux (microvm boots it through PVH) and a tame version string, which becomes a
 * manifest value and may name a modules directory.
 */
final class KernelFiles {
    /** {@code 6.1.0-13-cloud-amd64}, {@code 6.10.0-rc1+}, {@code 5.15.0_custom.1}: no '/', no spaces, no '~'. */
    static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._+-]{1,100}");

    private static final int ELF_CLASS_64 = 2;

    private KernelFiles() { }

    static boolean isVersion(String s) {
        return s != null && VERSION.matcher(s).matches();
    }

    /** The ELF magic followed by ELFCLASS64. */
    static boolean isElf64(byte[] head) {
        return head.length >= 5 && head[0] == 0x7F && head[1] == 'E' && head[2] == 'L' && head[3] == 'F'
                && head[4] == ELF_CLASS_64;
    }

    /** False for a missing file, a symlink or anything that is not a regular file, never an exception for those. */
    static boolean isElf64(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return isElf64(in.readNBytes(5));
        }
    }
}
