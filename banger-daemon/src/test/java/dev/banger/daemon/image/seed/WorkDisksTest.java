package dev.banger.daemon.image.seed;

import dev.banger.core.ProgressSink;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkDisksTest {
    @TempDir
    Path tmp;
    Path seed;
    Path vmDir;
    SshKeys keys;

    @BeforeEach
    void seed() throws Exception {
        Path imageDir = Files.createDirectory(tmp.resolve("image"));
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        vmDir = Files.createDirectory(tmp.resolve("vm"));
        keys = new SshKeys(tmp.resolve("banger-ssh"), tmp.resolve("no-user-ssh"));
        seed = new WorkSeeds(scratch).ensure(imageDir, SeedFixtures.fakeRootfs(imageDir, true), "/root", keys, ProgressSink.NONE);
    }

    @Test
    void materialisedDiskHasTheRequestedSizeAndTheSeedsContent() throws Exception {
        Path out = vmDir.resolve("work.ext4");
        long size = 256L << 20;

        WorkDisks.materialise(seed, out, size);

        assertThat(Files.size(out)).isEqualTo(size);
        SeedFixtures.FsckResult fsck = SeedFixtures.fsck(out);
        assertThat(fsck.exitCode()).as(fsck.output()).isZero();
        assertThat(SeedFixtures.run(java.util.List.of("dumpe2fs", "-h", out.toString())))
                .containsPattern("Block count:\\s+" + size / 4096 + "\\b");
        assertThat(SeedFixtures.cat(out, "/.ssh/authorized_keys")).isEqualTo(SshKeys.authorizedKeysContent(keys.authorizedKeys()));
        assertThat(SeedFixtures.cat(out, "/.bashrc")).isEqualTo(SeedFixtures.BASHRC);
        assertNoTemps();
    }

    @Test
    void growsFarBeyond1024TimesTheSeed() throws Exception {
        // With mkfs' default resize_inode an 8 MiB seed could only grow to 8 GiB.
        Path out = vmDir.resolve("big.ext4");
        long size = 20L << 30;

        WorkDisks.materialise(seed, out, size);

        assertThat(Files.size(out)).isEqualTo(size);
        assertThat(SeedFixtures.fsck(out).exitCode()).isZero();
        assertThat(SeedFixtures.run(java.util.List.of("dumpe2fs", "-h", out.toString())))
                .containsPattern("Block count:\\s+" + size / 4096 + "\\b")
                .containsPattern("Inodes per group:\\s+8192\\b");
    }

    @Test
    void sameSizeAsTheSeedNeedsNoResize() throws Exception {
        Path out = vmDir.resolve("work.ext4");
        WorkDisks.materialise(seed, out, Files.size(seed));
        assertThat(Files.size(out)).isEqualTo(Files.size(seed));
        assertThat(SeedFixtures.fsck(out).exitCode()).isZero();
        assertThat(SeedFixtures.cat(out, "/.bashrc")).isEqualTo(SeedFixtures.BASHRC);
    }

    @Test
    void refusesASizeSmallerThanTheSeed() {
        Path out = vmDir.resolve("work.ext4");
        assertThatThrownBy(() -> WorkDisks.materialise(seed, out, (1L << 20)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("smaller than its seed");
        assertThat(out).doesNotExist();
        assertNoTemps();
    }

    @Test
    void refusesToOverwriteAnExistingWorkDisk() throws Exception {
        Path out = Files.writeString(vmDir.resolve("work.ext4"), "user data");
        assertThatThrownBy(() -> WorkDisks.materialise(seed, out, 64L << 20)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(out)).isEqualTo("user data");
    }

    @Test
    void aCorruptSeedFailsAndLeavesNoTemp() throws Exception {
        Path bad = tmp.resolve("bad.ext4");
        Files.copy(seed, bad);
        try (var ch = java.nio.channels.FileChannel.open(bad, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[4096]), 1024);   // zero the superblock
        }
        Path out = vmDir.resolve("work.ext4");
        assertThatThrownBy(() -> WorkDisks.materialise(bad, out, 64L << 20)).isInstanceOf(IOException.class)
                .hasMessageContaining("failed its check");
        assertThat(out).doesNotExist();
        assertNoTemps();
    }

    private void assertNoTemps() {
        try (var s = Files.list(vmDir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
