package dev.banger.daemon.image.build;

/**
 * How big to make the image file. The file is sparse, so generosity costs host disk only once
 * the guest writes; and the guest's qcow2 overlay inherits this size, so it must leave real room.
 *
 * <pre>
 *   data     = Σ roundUp(file, 4 KiB) + 4 KiB × (dirs + symlinks with targets ≥ 60 bytes)
 *   inodes   = max(2 × entries + 8192, 16384)             (passed to mkfs as -N)
 *   used     = data + 256 B × inodes + data / 64 (bitmaps, descriptors, extent blocks) + journal
 *   headroom = max(64 MiB, 20% of used)
 *   size     = roundUp((used + headroom) / 0.95, 1 MiB)   (the 5% root reserve must not eat headroom),
 *              at least (inodes / 32768 + 1) block groups of 128 MiB (a group holds at most 32768 inodes)
 * </pre>
 * journal is what mke2fs 1.47 picks for that filesystem size (ext2fs_default_journal_size).
 */
final class Ext4Sizing {
    static final long BLOCK = 4096;
    static final long MIB = 1024 * 1024;
    static final long MIN_HEADROOM = 64 * MIB;
    static final long INODE_SIZE = 256;
    static final long INODES_PER_GROUP = 8 * BLOCK;
    static final long GROUP_BYTES = 8 * BLOCK * BLOCK;
    private static final int INLINE_SYMLINK_MAX = 59;

    private Ext4Sizing() { }

    record Plan(long sizeBytes, long inodes) { }

    static Plan plan(ExtractedTree tree) {
        long data = 0;
        for (EntryRecord r : tree.records()) {
            switch (r.kind()) {
                case FILE -> data += roundUp(r.size(), BLOCK);
                case DIR -> data += BLOCK;
                case SYMLINK -> data += r.linkTarget().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > INLINE_SYMLINK_MAX ? BLOCK : 0;
                default -> { }
            }
        }
        long inodes = Math.max(2L * tree.records().size() + 8192, 16384);
        long beforeJournal = data + INODE_SIZE * inodes + data / 64;
        long journal = journalBytes(beforeJournal + Math.max(MIN_HEADROOM, beforeJournal / 5));
        long used = beforeJournal + journal;
        long headroom = Math.max(MIN_HEADROOM, used / 5);
        long size = roundUp((used + headroom) * 100 / 95, MIB);
        // A block group holds at most one bitmap block of inodes (32768 with 4 KiB blocks): a tree of
        // many tiny files needs more groups than its bytes would, or mkfs refuses the inode count.
        long groupsForInodes = (inodes + INODES_PER_GROUP - 1) / INODES_PER_GROUP + 1;
        size = Math.max(size, groupsForInodes * GROUP_BYTES);
        return new Plan(size, inodes);
    }

    /** Mirrors mke2fs' default journal size table for 4 KiB blocks. */
    static long journalBytes(long fsBytes) {
        long blocks = fsBytes / BLOCK;
        long journalBlocks;
        if (blocks < 32768) {
            journalBlocks = 1024;
        } else if (blocks < 256 * 1024) {
            journalBlocks = 4096;
        } else if (blocks < 512 * 1024) {
            journalBlocks = 8192;
        } else if (blocks < 4096 * 1024) {
            journalBlocks = 16384;
        } else if (blocks < 8192 * 1024) {
            journalBlocks = 32768;
        } else if (blocks < 16384 * 1024) {
            journalBlocks = 65536;
        } else if (blocks < 32768 * 1024) {
            journalBlocks = 131072;
        } else {
            journalBlocks = 262144;
        }
        return journalBlocks * BLOCK;
    }

    static long roundUp(long v, long unit) {
        return (v + unit - 1) / unit * unit;
    }
}
