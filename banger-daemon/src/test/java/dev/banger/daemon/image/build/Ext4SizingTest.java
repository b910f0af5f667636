package dev.banger.daemon.image.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The one ext4 sizing model, under both of its policies (root filesystem images and work seeds). */
class Ext4SizingTest {
    private static final long MIB = 1024 * 1024;

    @ParameterizedTest(name = "{0} MiB data, {1} entries")
    @CsvSource({"0, 3", "0, 100000", "20, 500", "188, 10600", "300, 50000", "1024, 50000", "3072, 200000", "100, 1000000",
            "10240, 100000"})
    void everyPlanHoldsItsContentMetadataJournalAndHeadroom(long dataMib, long entries) {
        for (Ext4Sizing.Policy policy : new Ext4Sizing.Policy[] {Ext4Sizing.ROOTFS, Ext4Sizing.WORK_SEED}) {
            long data = dataMib * MIB;
            Ext4Sizing.Plan p = Ext4Sizing.plan(data, entries, policy);
            long groups = Ext4Sizing.groups(p.sizeBytes());
            long usable = p.sizeBytes() * (100 - policy.reservePercent()) / 100;
            long needed = data + 256 * p.inodes() + Ext4Sizing.journalBytes(p.sizeBytes()) + policy.minHeadroom();
            assertThat(usable).as(policy + ": room for content, inode tables, journal and headroom").isGreaterThanOrEqualTo(needed);
            assertThat(p.sizeBytes() % MIB).isZero();
            assertThat(p.sizeBytes()).isGreaterThanOrEqualTo(policy.minSize());
            assertThat(p.inodes()).as("an inode per entry").isGreaterThan(entries);
            if (policy.inodes() == Ext4Sizing.InodeRule.PER_ENTRY) {
                // mke2fs shrinks the groups of a small filesystem to fit a seed's count; an image's count is
                // planned for full 128 MiB groups, plus one.
                assertThat(p.inodes()).as("a block group holds at most 32768 inodes").isLessThan(32768 * groups);
            }
            assertThat(Ext4Sizing.plan(data, entries, policy)).as("deterministic").isEqualTo(p);
        }
    }

    @Test
    void rootfsSizesAreThoseOfThePreviousImageModel() {
        // Values of the image model before the two models became one (docs/image-build.md): unchanged.
        assertThat(Ext4Sizing.plan(0, 3, Ext4Sizing.ROOTFS)).isEqualTo(new Ext4Sizing.Plan(256 * MIB, 16384));
        assertThat(Ext4Sizing.plan(188 * MIB, 10600, Ext4Sizing.ROOTFS)).isEqualTo(new Ext4Sizing.Plan(293 * MIB, 29392));
        assertThat(Ext4Sizing.plan(1024 * MIB, 50000, Ext4Sizing.ROOTFS)).isEqualTo(new Ext4Sizing.Plan(1388 * MIB, 108192));
        // A million tiny files: the inode count, not the bytes, decides (62 groups of inodes + 1).
        assertThat(Ext4Sizing.plan(0, 1_000_000, Ext4Sizing.ROOTFS)).isEqualTo(new Ext4Sizing.Plan(63 * 128 * MIB, 2_008_192));
    }

    @Test
    void rootfsHeadroomIsAtLeast64MiBAndAFifthOfWhatIsUsed() {
        Ext4Sizing.Plan small = Ext4Sizing.plan(100 * MIB, 1000, Ext4Sizing.ROOTFS);
        assertThat(small.sizeBytes() * 95 / 100 - 100 * MIB - 256 * small.inodes()).isGreaterThanOrEqualTo(64 * MIB);
        long data = 4096 * MIB;
        Ext4Sizing.Plan big = Ext4Sizing.plan(data, 100_000, Ext4Sizing.ROOTFS);
        assertThat(big.sizeBytes() * 95 / 100).isGreaterThanOrEqualTo(data * 12 / 10);
    }

    @Test
    void seedsKeepTheFullInodeDensityAWorkDiskGrowsFrom() {
        Ext4Sizing.Plan empty = Ext4Sizing.plan(0, 3, Ext4Sizing.WORK_SEED);
        assertThat(empty.sizeBytes()).isBetween(8 * MIB, 16 * MIB);
        assertThat(empty.inodes()).isEqualTo(8192);
        for (long dataMib : new long[] {50, 300, 900, 3000}) {
            Ext4Sizing.Plan p = Ext4Sizing.plan(dataMib * MIB, 1000, Ext4Sizing.WORK_SEED);
            long groups = Ext4Sizing.groups(p.sizeBytes());
            assertThat(p.inodes()).as(dataMib + " MiB").isEqualTo(8192 * groups);
            assertThat(p.sizeBytes()).as("a seed is not an image: no 64 MiB headroom").isLessThan(dataMib * MIB * 12 / 10 + 64 * MIB);
        }
        Ext4Sizing.Plan many = Ext4Sizing.plan(0, 100_000, Ext4Sizing.WORK_SEED);
        assertThat(many.inodes()).isGreaterThanOrEqualTo(125_064).isEqualTo(many.inodes() / Ext4Sizing.groups(many.sizeBytes())
                * Ext4Sizing.groups(many.sizeBytes()));
    }

    @Test
    void theTallyCountsBlocksAsExt4StoresThem() {
        Ext4Sizing.Tally t = new Ext4Sizing.Tally().dir().file(0).file(1).file(4096).file(4097)
                .symlink("short").symlink("x".repeat(59)).symlink("y".repeat(60)).other();
        assertThat(t.entries()).isEqualTo(9);
        // dir 4 KiB; files 0 + 4 + 4 + 8 KiB; only the 60-byte symlink target needs a block.
        assertThat(t.dataBytes()).isEqualTo((1 + 0 + 1 + 1 + 2 + 1) * 4096L);
    }

    @Test
    void journalFollowsMke2fsTable() {
        assertThat(Ext4Sizing.journalBytes(64 * MIB)).isEqualTo(4 * MIB);
        assertThat(Ext4Sizing.journalBytes(512 * MIB)).isEqualTo(16 * MIB);
        assertThat(Ext4Sizing.journalBytes(1536 * MIB)).isEqualTo(32 * MIB);
        assertThat(Ext4Sizing.journalBytes(8192 * MIB)).isEqualTo(64 * MIB);
        assertThat(Ext4Sizing.journalBytes(20L * 1024 * MIB)).isEqualTo(128 * MIB);
    }
}
