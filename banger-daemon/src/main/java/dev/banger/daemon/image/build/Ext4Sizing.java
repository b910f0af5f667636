package dev.banger.daemon.image.build;

import java.nio.charset.StandardCharsets;

/**
 * How big to make an ext4 file: the one sizing model of banger, for root filesystem images
 * ({@link #ROOTFS}) and per-image work seeds ({@link #WORK_SEED}). The file is sparse, so
 * generosity costs host disk only once the guest writes.
 *
 * <pre>
 *   data     = Σ roundUp(file, 4 KiB) + 4 KiB × (dirs + symlinks with targets ≥ 60 bytes)
 *   inodes   = the policy's rule (passed to mkfs as -N)
 *   used     = data + 256 B × inodes + max(data / 64, 2 blocks × groups) + journal
 *              (data / 64: descriptors and extent blocks; 2 blocks: each group's bitmaps)
 *   headroom = max(minimum, percent of used)
 *   size     = roundUp((used + headroom) / (1 - reserve), 1 MiB), at least the policy's minimum
 * </pre>
 * journal is what mke2fs 1.47 picks for the final filesystem size (ext2fs_default_journal_size),
 * and groups (128 MiB each) and the inode count may depend on the size too, so the size is
 * iterated to its fixed point (it only grows, and converges in a few rounds).
 */
public final class Ext4Sizing {
    static final long BLOCK = 4096;
    static final long MIB = 1024 * 1024;
    static final long INODE_SIZE = 256;
    /** One bitmap block of inodes: the most a block group can hold with 4 KiB blocks. */
    static final long MAX_INODES_PER_GROUP = 8 * BLOCK;
    static final long GROUP_BYTES = 8 * BLOCK * BLOCK;
    private static final int INLINE_SYMLINK_MAX = 59;

    /** How many inodes a filesystem of so many groups needs for so many entries. */
    public enum InodeRule {
        /**
         * An image's fixed count, {@code max(2 × entries + 8192, 16384)}: mkfs' default of one inode
         * per 16 KiB runs out on trees of many small files. A group holds at most 32768 inodes, so
         * the filesystem gets at least {@code inodes / 32768 + 1} groups, or mkfs refuses the count.
         */
        PER_ENTRY,
        /**
         * A seed's full default density, 8192 per group (at least 1.25 × entries + 64, a multiple
         * of the groups): resize2fs keeps inodes-per-group when a work disk is grown from the seed,
         * so a seed with the small-filesystem default would leave a large work disk short of inodes.
         */
        FULL_DENSITY;

        static final long DENSE_PER_GROUP = 8192;

        long inodes(long groups, long entries) {
            return switch (this) {
                case PER_ENTRY -> Math.max(2 * entries + 8192, 16384);
                case FULL_DENSITY -> {
                    long wanted = Math.max(groups * DENSE_PER_GROUP, entries + entries / 4 + 64);
                    yield (wanted + groups - 1) / groups * groups;
                }
            };
        }

        long minSize(long inodes) {
            return this == PER_ENTRY ? ((inodes + MAX_INODES_PER_GROUP - 1) / MAX_INODES_PER_GROUP + 1) * GROUP_BYTES : 0;
        }
    }

    /**
     * minHeadroom and headroomPercent: free room beyond the content; reservePercent: blocks mkfs keeps
     * for root (5% by default), which must not eat the headroom; minSize: the smallest file.
     */
    public record Policy(long minHeadroom, int headroomPercent, int reservePercent, long minSize, InodeRule inodes) { }

    /** A root filesystem image: the guest's qcow2 overlay inherits this size, so it must leave real room. */
    public static final Policy ROOTFS = new Policy(64 * MIB, 20, 5, 0, InodeRule.PER_ENTRY);
    /** A work seed: the home skeleton plus a little; each VM's work disk is grown from it to its own size. */
    public static final Policy WORK_SEED = new Policy(4 * MIB, 10, 0, 8 * MIB, InodeRule.FULL_DENSITY);

    public record Plan(long sizeBytes, long inodes) { }

    /** Adds up data blocks and entries, entry by entry. */
    public static final class Tally {
        private long dataBytes;
        private long entries;

        public Tally file(long size) {
            dataBytes += roundUp(size, BLOCK);
            entries++;
            return this;
        }

        public Tally dir() {
            dataBytes += BLOCK;
            entries++;
            return this;
        }

        /** A short target is stored in the inode itself (a "fast" symlink); a longer one takes a block. */
        public Tally symlink(String target) {
            dataBytes += target.getBytes(StandardCharsets.UTF_8).length > INLINE_SYMLINK_MAX ? BLOCK : 0;
            entries++;
            return this;
        }

        /** Hardlinks, devices, fifos: an entry without data blocks. */
        public Tally other() {
            entries++;
            return this;
        }

        public long dataBytes() {
            return dataBytes;
        }

        public long entries() {
            return entries;
        }

        public Plan plan(Policy policy) {
            return Ext4Sizing.plan(dataBytes, entries, policy);
        }
    }

    private Ext4Sizing() { }

    static Plan plan(ExtractedTree tree) {
        Tally t = new Tally();
        for (EntryRecord r : tree.records()) {
            switch (r.kind()) {
                case FILE -> t.file(r.size());
                case DIR -> t.dir();
                case SYMLINK -> t.symlink(r.linkTarget());
                default -> t.other();
            }
        }
        return t.plan(ROOTFS);
    }

    /** dataBytes: block-rounded, as a {@link Tally} adds them up. */
    public static Plan plan(long dataBytes, long entries, Policy policy) {
        long size = Math.max(policy.minSize(), roundUp(dataBytes, MIB));
        for (int round = 0; round < 64; round++) {
            long groups = groups(size);
            long inodes = policy.inodes().inodes(groups, entries);
            long used = dataBytes + INODE_SIZE * inodes + Math.max(dataBytes / 64, 2 * BLOCK * groups) + journalBytes(size);
            long headroom = Math.max(policy.minHeadroom(), used * policy.headroomPercent() / 100);
            long next = roundUp((used + headroom) * 100 / (100 - policy.reservePercent()), MIB);
            next = Math.max(next, Math.max(policy.minSize(), policy.inodes().minSize(inodes)));
            if (next <= size) {
                return new Plan(size, policy.inodes().inodes(groups(size), entries));
            }
            size = next;
        }
        throw new IllegalStateException("ext4 size did not converge for " + dataBytes + " bytes, " + entries + " entries");
    }

    static long groups(long sizeBytes) {
        return Math.max(1, (sizeBytes + GROUP_BYTES - 1) / GROUP_BYTES);
    }

    /** Mirrors mke2fs' default journal size table for 4 KiB blocks (ext2fs_default_journal_size). */
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
