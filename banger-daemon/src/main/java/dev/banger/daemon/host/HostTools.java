package dev.banger.daemon.host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Finds host tools for an ordinary user too. On Debian /usr/sbin and /sbin are not on a normal
 * user's PATH, yet mkfs.ext4, debugfs, e2fsck, resize2fs, losetup, ip and nft live there and run
 * fine unprivileged on files the user owns. So a tool is looked up over the PATH it runs with,
 * then the sbin directories; a tool that is really absent is reported in one line naming the
 * Debian package that provides it.
 */
public final class HostTools {
    /** Searched after PATH, in this order (Debian's root PATH has them, a user's does not). */
    public static final List<Path> SBIN_DIRS = List.of(Path.of("/usr/local/sbin"), Path.of("/usr/sbin"), Path.of("/sbin"));

    /** The Debian package of each tool banger runs (what `apt-get install` needs when it is missing). */
    static final Map<String, String> DEBIAN_PACKAGES = Map.ofEntries(
            Map.entry("mkfs.ext4", "e2fsprogs"), Map.entry("mke2fs", "e2fsprogs"), Map.entry("debugfs", "e2fsprogs"),
            Map.entry("e2fsck", "e2fsprogs"), Map.entry("resize2fs", "e2fsprogs"),
            Map.entry("qemu-img", "qemu-utils"), Map.entry("qemu-system-x86_64", "qemu-system-x86"),
            Map.entry("mmdebstrap", "mmdebstrap"), Map.entry("newuidmap", "uidmap"), Map.entry("newgidmap", "uidmap"),
            Map.entry("setfacl", "acl"), Map.entry("losetup", "mount"), Map.entry("ip", "iproute2"),
            Map.entry("nft", "nftables"), Map.entry("ssh-keygen", "openssh-client"), Map.entry("dpkg-deb", "dpkg"),
            Map.entry("apt-get", "apt"), Map.entry("xz", "xz-utils"), Map.entry("zstd", "zstd"), Map.entry("lz4", "lz4"),
            Map.entry("gzip", "gzip"), Map.entry("cpio", "cpio"), Map.entry("tar", "tar"), Map.entry("cp", "coreutils"),
            Map.entry("busybox", "busybox-static"), Map.entry("unshare", "util-linux"), Map.entry("setsid", "util-linux"));

    private HostTools() { }

    /** The tool's absolute path, looked up over the daemon's PATH and then the sbin directories. */
    public static Path resolve(String tool) throws MissingToolException {
        return resolve(tool, System.getenv("PATH"));
    }

    /** True when {@link #resolve(String)} would find the tool. */
    public static boolean isPresent(String tool) {
        try {
            resolve(tool);
            return true;
        } catch (MissingToolException e) {
            return false;
        }
    }

    /** The tool's absolute path, looked up over pathEnv (a PATH value, may be null) and then the sbin directories. */
    public static Path resolve(String tool, String pathEnv) throws MissingToolException {
        return resolve(tool, searchDirs(pathEnv));
    }

    /** A name with a slash is a path already and is used as given, like execvp does. */
    static Path resolve(String tool, List<Path> dirs) throws MissingToolException {
        if (tool.contains("/")) {
            return Path.of(tool);
        }
        for (Path dir : dirs) {
            Path candidate = dir.resolve(tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new MissingToolException(tool, missingMessage(tool, dirs));
    }

    /** PATH's directories (relative ones skipped: they would depend on the daemon's working dir), then the sbin ones. */
    static List<Path> searchDirs(String pathEnv) {
        Set<Path> dirs = new LinkedHashSet<>();
        if (pathEnv != null) {
            for (String d : pathEnv.split(":")) {
                if (d.startsWith("/")) dirs.add(Path.of(d));
            }
        }
        dirs.addAll(SBIN_DIRS);
        return List.copyOf(dirs);
    }

    /**
     * The PATH a tool is given: its own plus the sbin directories it lacks, so that what the tool
     * starts in turn (mmdebstrap runs apt, dpkg, newuidmap...) is found the same way.
     */
    static String childPath(String pathEnv) {
        List<String> parts = new ArrayList<>();
        if (pathEnv != null && !pathEnv.isEmpty()) parts.addAll(List.of(pathEnv.split(":")));
        for (Path sbin : SBIN_DIRS) {
            if (!parts.contains(sbin.toString())) parts.add(sbin.toString());
        }
        return String.join(":", parts);
    }

    static String missingMessage(String tool, List<Path> dirs) {
        String where = dirs.stream().map(Path::toString).collect(Collectors.joining(":"));
        String pkg = DEBIAN_PACKAGES.get(tool);
        return tool + " not found (searched " + where + ")"
                + (pkg == null ? "" : "; install the Debian package " + pkg + " (apt-get install " + pkg + ")");
    }
}
