package dev.banger.daemon.image.seed;

import dev.banger.core.ProgressSink;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkSeedsTest {
    @TempDir
    Path tmp;
    Path scratch;
    Path imageDir;
    Path userSsh;
    SshKeys keys;
    WorkSeeds seeds;
    List<String> stages;
    ProgressSink progress;

    @BeforeEach
    void setUp() throws Exception {
        scratch = Files.createDirectory(tmp.resolve("scratch"));
        imageDir = Files.createDirectory(tmp.resolve("image"));
        userSsh = Files.createDirectory(tmp.resolve("user-ssh"));
        keys = new SshKeys(tmp.resolve("banger-ssh"), userSsh);
        seeds = new WorkSeeds(scratch);
        stages = Collections.synchronizedList(new ArrayList<>());
        progress = (stage, detail) -> stages.add(stage);
    }

    private String bangerKey() throws Exception {
        keys.ensureKeyPair();
        return Files.readString(tmp.resolve("banger-ssh/id_ed25519.pub")).strip();
    }

    @Test
    void seedHoldsTheFlattenedHomeSkeletonAndAuthorizedKeys() throws Exception {
        Path rootfs = SeedFixtures.fakeRootfs(imageDir, true);
        String userKey = SeedFixtures.fakePublicKey("me@laptop");
        Files.writeString(userSsh.resolve("id_ed25519.pub"), userKey + "\n");

        Path seed = seeds.ensure(imageDir, rootfs, "/root", keys, progress);

        assertThat(seed).isEqualTo(imageDir.resolve("work-seed.ext4").toAbsolutePath());
        // Flattened: the home's contents are the seed's top level, no nested root/.
        assertThat(SeedFixtures.ls(seed, "/")).contains(".bashrc", ".profile", ".config", ".ssh").doesNotContain("root");
        assertThat(SeedFixtures.cat(seed, "/.bashrc")).isEqualTo(SeedFixtures.BASHRC);
        assertThat(SeedFixtures.cat(seed, "/.config/app.conf")).isEqualTo(SeedFixtures.APP_CONF);
        assertThat(SeedFixtures.cat(seed, "/.ssh/authorized_keys")).isEqualTo(bangerKey() + "\n" + userKey + "\n");

        SeedFixtures.Stat ak = SeedFixtures.stat(seed, "/.ssh/authorized_keys");
        assertThat(ak.type()).isEqualTo("regular");
        assertThat(ak.mode()).isEqualTo(0600);
        assertThat(ak.uid()).isZero();
        assertThat(ak.gid()).isZero();
        SeedFixtures.Stat ssh = SeedFixtures.stat(seed, "/.ssh");
        assertThat(ssh.type()).isEqualTo("directory");
        assertThat(ssh.mode()).isEqualTo(0700);
        assertThat(ssh.uid()).isZero();
        SeedFixtures.Stat root = SeedFixtures.stat(seed, "/");
        assertThat(root.mode()).as("the home's own mode (0700 in the image)").isEqualTo(0700);
        assertThat(root.uid()).isZero();
        SeedFixtures.Stat conf = SeedFixtures.stat(seed, "/.config/app.conf");
        assertThat(conf.mode()).isEqualTo(0600);
        assertThat(conf.uid()).isZero();
        assertThat(conf.gid()).isZero();

        SeedFixtures.Stat odd = SeedFixtures.stat(seed, "/.cache-of-someone-else");
        assertThat(odd.uid()).as("every inode root-owned, whoever owned it in the image or in scratch").isZero();
        assertThat(odd.gid()).isZero();

        assertThat(SeedFixtures.fsck(seed).exitCode()).isZero();
        assertThat(Files.size(seed)).isGreaterThanOrEqualTo(8L << 20);
        assertThat(Files.readString(imageDir.resolve("work-seed.fingerprint")).strip()).isEqualTo(keys.fingerprint());
        assertThat(stages).isNotEmpty().containsOnly("prepare_rootfs");
        assertNoLeftovers();
    }

    @Test
    void unchangedKeysLeaveTheSeedUntouched() throws Exception {
        Path rootfs = SeedFixtures.fakeRootfs(imageDir, true);
        Path seed = seeds.ensure(imageDir, rootfs, "/root", keys, progress);
        Object inode = Files.getAttribute(seed, "unix:ino");
        FileTime mtime = Files.getLastModifiedTime(seed);
        FileTime fpMtime = Files.getLastModifiedTime(imageDir.resolve("work-seed.fingerprint"));
        stages.clear();

        assertThat(seeds.ensure(imageDir, rootfs, "/root", keys, progress)).isEqualTo(seed);

        assertThat(Files.getAttribute(seed, "unix:ino")).isEqualTo(inode);
        assertThat(Files.getLastModifiedTime(seed)).isEqualTo(mtime);
        assertThat(Files.getLastModifiedTime(imageDir.resolve("work-seed.fingerprint"))).isEqualTo(fpMtime);
        assertThat(stages).isEmpty();
    }

    @Test
    void aNewUserKeyRewritesTheSeedAndThenTheFingerprint() throws Exception {
        Path rootfs = SeedFixtures.fakeRootfs(imageDir, true);
        Path seed = seeds.ensure(imageDir, rootfs, "/root", keys, progress);
        Object inode = Files.getAttribute(seed, "unix:ino");
        String oldFp = Files.readString(imageDir.resolve("work-seed.fingerprint")).strip();

        String added = SeedFixtures.fakePublicKey("rotated");
        Files.writeString(userSsh.resolve("id_new.pub"), added + "\n");
        seeds.ensure(imageDir, rootfs, "/root", keys, progress);

        String newFp = Files.readString(imageDir.resolve("work-seed.fingerprint")).strip();
        assertThat(newFp).isNotEqualTo(oldFp).isEqualTo(keys.fingerprint());
        assertThat(Files.getAttribute(seed, "unix:ino")).as("replaced by rename, not rewritten in place").isNotEqualTo(inode);
        assertThat(SeedFixtures.cat(seed, "/.ssh/authorized_keys")).isEqualTo(bangerKey() + "\n" + added + "\n");
        assertThat(SeedFixtures.cat(seed, "/.bashrc")).isEqualTo(SeedFixtures.BASHRC);
        assertNoLeftovers();
    }

    @Test
    void aStaleOrMissingFingerprintForcesARebuild() throws Exception {
        Path rootfs = SeedFixtures.fakeRootfs(imageDir, true);
        Path seed = seeds.ensure(imageDir, rootfs, "/root", keys, progress);
        Object inode = Files.getAttribute(seed, "unix:ino");
        Files.delete(imageDir.resolve("work-seed.fingerprint"));

        seeds.ensure(imageDir, rootfs, "/root", keys, progress);

        assertThat(Files.getAttribute(seed, "unix:ino")).isNotEqualTo(inode);
        assertThat(Files.readString(imageDir.resolve("work-seed.fingerprint")).strip()).isEqualTo(keys.fingerprint());
    }

    @Test
    void imageWithoutTheHomeDirGivesASeedWithOnlySsh() throws Exception {
        Path rootfs = SeedFixtures.fakeRootfs(imageDir, false);

        Path seed = seeds.ensure(imageDir, rootfs, "/root", keys, progress);

        assertThat(SeedFixtures.ls(seed, "/")).containsExactlyInAnyOrder(".ssh", "lost+found");
        assertThat(SeedFixtures.ls(seed, "/.ssh")).containsExactly("authorized_keys");
        assertThat(SeedFixtures.cat(seed, "/.ssh/authorized_keys")).isEqualTo(bangerKey() + "\n");
        assertThat(SeedFixtures.stat(seed, "/").mode()).isEqualTo(0700);
        assertThat(SeedFixtures.fsck(seed).exitCode()).isZero();
        assertNoLeftovers();
    }

    @Test
    void aSkeletonSshSymlinkIsReplacedNotFollowed() throws Exception {
        // An image whose /root/.ssh is a symlink pointing at a host path must not make us write there.
        Path victim = Files.createDirectory(tmp.resolve("victim"));
        Path rootfs = imageWithSshSymlink(victim);

        Path seed = seeds.ensure(imageDir, rootfs, "/root", keys, progress);

        try (var s = Files.list(victim)) {
            assertThat(s).isEmpty();
        }
        assertThat(SeedFixtures.stat(seed, "/.ssh").type()).isEqualTo("directory");
        assertThat(SeedFixtures.cat(seed, "/.ssh/authorized_keys")).isEqualTo(bangerKey() + "\n");
    }

    private Path imageWithSshSymlink(Path target) throws Exception {
        var bytes = new java.io.ByteArrayOutputStream();
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(bytes, "UTF-8")) {
            var dir = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("root/",
                    org.apache.commons.compress.archivers.tar.TarConstants.LF_DIR, true);
            dir.setMode(0700);
            tar.putArchiveEntry(dir);
            tar.closeArchiveEntry();
            var link = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("root/.ssh",
                    org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK, true);
            link.setLinkName(target.toString());
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
        }
        Path out = imageDir.resolve("rootfs.ext4");
        new dev.banger.daemon.image.build.TarToExt4(scratch)
                .convert(new java.io.ByteArrayInputStream(bytes.toByteArray()), out, ProgressSink.NONE);
        return out;
    }

    @Test
    void nestedHomeDirIsFlattenedToo() throws Exception {
        Path rootfs = SeedFixtures.fakeRootfs(imageDir, true);
        // "/root/.config" stands in for a home deeper in the tree: its contents become the top level.
        Path seed = seeds.ensure(imageDir, rootfs, "/root/.config/", keys, progress);
        assertThat(SeedFixtures.ls(seed, "/")).contains("app.conf", ".ssh").doesNotContain(".config", "root");
    }

    @Test
    void rejectsUnsafeHomeDirs() {
        for (String bad : new String[] {"root", "/", "//", "/root/../etc", "/./root", "/ro ot", "/root;rm", "/r\"", ""}) {
            assertThatThrownBy(() -> seeds.ensure(imageDir, imageDir.resolve("x"), bad, keys, progress))
                    .as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> seeds.ensure(imageDir, imageDir.resolve("x"), null, keys, progress))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBrokenRootfsFailsAndLeavesNothingBehind() throws Exception {
        Path rootfs = Files.writeString(imageDir.resolve("rootfs.ext4"), "not an ext4 image");
        assertThatThrownBy(() -> seeds.ensure(imageDir, rootfs, "/root", keys, progress))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("debugfs");
        assertThat(imageDir.resolve("work-seed.ext4")).doesNotExist();
        assertThat(imageDir.resolve("work-seed.fingerprint")).doesNotExist();
        assertNoLeftovers();
    }

    @Test
    void sizingCoversContentAndKeepsFullInodeDensity() {
        WorkSeeds.Plan empty = WorkSeeds.plan(0, 3);
        assertThat(empty.sizeBytes()).isGreaterThanOrEqualTo(8L << 20).isLessThanOrEqualTo(16L << 20);
        assertThat(empty.inodes()).isEqualTo(8192);
        WorkSeeds.Plan big = WorkSeeds.plan(300L << 20, 50_000);
        assertThat(big.sizeBytes()).isGreaterThan(330L << 20);
        assertThat(big.inodes()).isGreaterThanOrEqualTo(50_000).isEqualTo(big.inodes() / 3 * 3);
    }

    private void assertNoLeftovers() throws Exception {
        try (var s = Files.list(scratch)) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("work-seed-"))).isEmpty();
        }
        try (var s = Files.list(imageDir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }
}
