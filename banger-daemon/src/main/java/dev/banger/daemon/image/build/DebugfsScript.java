package dev.banger.daemon.image.build;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The debugfs command file that turns what mkfs.ext4 copied from scratch into what the tar said.
 *
 * <p>mkfs.ext4 -d records each scratch file's lstat() uid/gid/mode, so comparing the tar's
 * metadata with that same lstat() tells us exactly which inodes need fixing; a tree extracted by
 * root that is mostly root-owned therefore costs almost nothing. Every path is absolute and
 * double-quoted (see {@link EntryNames} for why that is enough).
 *
 * <p>The commands go straight into a file as they are made, never into a list: an image of a
 * million entries owned by someone other than bangerd's user needs two million of them.
 */
final class DebugfsScript {
    /**
     * @param file         the command file
     * @param lineCount    its lines
     * @param fixedInodes  inodes that get at least one set_inode_field
     * @param createdNodes device nodes and fifos made with mknod
     * @param xattrs       extended attributes set with ea_set
     */
    record Script(Path file, long lineCount, int fixedInodes, int createdNodes, int xattrs) {
        boolean isEmpty() {
            return lineCount == 0;
        }
    }

    /** Where the commands go, one line each. */
    private static final class Lines {
        private final BufferedWriter out;
        long count;

        Lines(BufferedWriter out) {
            this.out = out;
        }

        void add(String line) throws IOException {
            out.write(line);
            out.write('\n');
            count++;
        }
    }

    private DebugfsScript() { }

    /**
     * @param valueDir where xattr values are written for {@code ea_set -f} (created if needed);
     *                 values are binary, so they never go through the command file
     */
    static Script write(ExtractedTree tree, Path valueDir, Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            return write(tree, valueDir, file, new Lines(w));
        }
    }

    private static Script write(ExtractedTree tree, Path valueDir, Path file, Lines lines) throws IOException {
        // Only inodes with several names can be met twice: the set stays as small as the hardlinks.
        Set<Object> seenInodes = new HashSet<>();
        int fixed = 0;
        int nodes = 0;
        int xattrs = 0;
        for (EntryRecord r : tree.records()) {
            if (r.kind().isSpecialNode()) {
                nodes++;
            }
            if (fixOne(tree, r, lines, seenInodes)) {
                fixed++;
            }
            Map<String, byte[]> x = tree.xattrs().get(r.path());
            if (x == null || r.kind() == EntryKind.HARDLINK) {
                continue;
            }
            Files.createDirectories(valueDir);
            EntryNames.checkEncodable(valueDir.toString(), valueDir.toAbsolutePath().toString());
            for (Map.Entry<String, byte[]> a : x.entrySet()) {
                Path value = valueDir.resolve(Integer.toString(xattrs++));
                Files.write(value, a.getValue());
                lines.add("ea_set -f " + quote(value.toAbsolutePath().toString()) + " " + quote(r.imagePath())
                        + " " + quote(a.getKey()));
            }
        }
        return new Script(file, lines.count, fixed, nodes, xattrs);
    }

    /** Adds the lines that make one record's inode what the tar said; true if it needed any. */
    private static boolean fixOne(ExtractedTree tree, EntryRecord r, Lines lines, Set<Object> seenInodes)
            throws IOException {
        if (r.kind().isSpecialNode()) {
            mknod(lines, r);
            return true;
        }
        if (r.path().isEmpty()) {
            root(lines, r);
            return true;
        }
        Path p = tree.root().resolve(r.path());
        if ((r.kind() == EntryKind.FILE || r.kind() == EntryKind.HARDLINK)
                && (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS) > 1) {
            if (!seenInodes.add(Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS))) {
                return false;
            }
        }
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int gid = (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        long before = lines.count;
        // Symlink permission bits are meaningless on Linux; only their owner matters (lchown).
        boolean modeMatters = r.kind() != EntryKind.SYMLINK;
        fixInode(lines, r, modeMatters ? mode : -1, Integer.toUnsignedLong(uid), Integer.toUnsignedLong(gid));
        return lines.count > before;
    }

    // mkfs.ext4 -d copies nothing of the source directory itself onto the root inode: that stays
    // 0755 root:root with mkfs's own clock (mke2fs >= 1.43 without -E root_owner), whoever runs it.
    private static void root(Lines lines, EntryRecord r) throws IOException {
        fixInode(lines, r, MKFS_ROOT_MODE, 0, 0);
        lines.add("sif \"/\" mtime @" + r.mtimeSec());
    }

    private static final int MKFS_ROOT_MODE = 040755;

    private static void mknod(Lines lines, EntryRecord r) throws IOException {
        // debugfs' mknod does not split paths: given "/a/b" it makes an entry literally named
        // "/a/b" in the cwd. So cd into the parent and pass the bare name.
        lines.add("cd " + quote("/" + EntryNames.parentOf(r.path())));
        String name = quote(EntryNames.baseName(r.path()));
        switch (r.kind()) {
            case CHAR -> lines.add("mknod " + name + " c " + r.devMajor() + " " + r.devMinor());
            case BLOCK -> lines.add("mknod " + name + " b " + r.devMajor() + " " + r.devMinor());
            default -> lines.add("mknod " + name + " p");
        }
        lines.add("cd /");
        // mknod leaves perms 0000, uid 0, gid 0 and the current time.
        fixInode(lines, r, r.kind().typeBits, 0, 0);
        lines.add("sif " + quote(r.imagePath()) + " mtime @" + r.mtimeSec());
    }

    private static void fixInode(Lines lines, EntryRecord r, int observedMode, long observedUid, long observedGid) throws IOException {
        String path = quote(r.imagePath());
        if (r.uid() != observedUid) {
            lines.add("sif " + path + " uid " + r.uid());
        }
        if (r.gid() != observedGid) {
            lines.add("sif " + path + " gid " + r.gid());
        }
        int wanted = r.kind().typeBits | r.mode();
        if (observedMode >= 0 && wanted != observedMode) {
            lines.add("sif " + path + " mode 0" + Integer.toOctalString(wanted));
        }
    }

    private static String quote(String path) {
        return "\"" + path + "\"";
    }
}
