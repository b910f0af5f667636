package dev.banger.daemon.image.build;

/**
 * The metadata the tar asked for at one path, as it must end up in the image.
 *
 * @param path     normalised relative path ("" is the root directory)
 * @param mode     permission bits including setuid/setgid/sticky (07777)
 * @param mtimeSec seconds since the epoch
 * @param linkTarget symlink target, or the normalised path of the hardlink's target; null otherwise
 * @param size     content bytes for regular files, 0 otherwise
 */
record EntryRecord(String path, EntryKind kind, int mode, long uid, long gid, long mtimeSec,
                   String linkTarget, int devMajor, int devMinor, long size) {

    static final long DEFAULT_MTIME = 0;

    /** A parent directory the tar never listed; root-owned like a package manager would leave it. */
    static EntryRecord implicitDir(String path, long mtimeSec) {
        return new EntryRecord(path, EntryKind.DIR, 0755, 0, 0, mtimeSec, null, 0, 0, 0);
    }

    /** The path as debugfs sees it: absolute inside the image. */
    String imagePath() {
        return "/" + path;
    }
}
