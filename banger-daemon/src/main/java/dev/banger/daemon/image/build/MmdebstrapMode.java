package dev.banger.daemon.image.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which mmdebstrap --mode we can use. unshare is the goal: it builds as an ordinary user inside a
 * user namespace and produces a tar with real root ownership. It needs newuidmap/newgidmap (the
 * uidmap package) and a subordinate id range for the user. Without those, root mode is the only
 * mode that yields a correct tree (fakechroot breaks on maintainer scripts that exec static
 * binaries, and is not installed here); it is only ever chosen when we already are root, and its
 * output still goes through {@link TarToExt4}, so nothing is ever mounted.
 */
enum MmdebstrapMode {
    UNSHARE("unshare"), ROOT("root");

    final String arg;

    MmdebstrapMode(String arg) {
        this.arg = arg;
    }

    static MmdebstrapMode detect() throws IOException {
        String user = System.getProperty("user.name");
        long uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (onPath("newuidmap") && onPath("newgidmap")
                && hasSubordinateRange(Path.of("/etc/subuid"), user, uid)
                && hasSubordinateRange(Path.of("/etc/subgid"), user, uid)) {
            return UNSHARE;
        }
        if (uid == 0) {
            return ROOT;
        }
        throw new IOException("cannot build a Debian rootfs unprivileged: mmdebstrap --mode=unshare needs "
                + "newuidmap/newgidmap (package uidmap) and entries for " + user + " in /etc/subuid and /etc/subgid");
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static boolean hasSubordinateRange(Path file, String user, long uid) throws IOException {
        if (!Files.isReadable(file)) {
            return false;
        }
        List<String> lines = Files.readAllLines(file);
        for (String line : lines) {
            String owner = line.split(":", 2)[0];
            if (owner.equals(user) || owner.equals(Long.toString(uid))) {
                return true;
            }
        }
        return false;
    }
}
