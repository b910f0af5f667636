package dev.banger.daemon;

import dev.banger.core.BangerPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class LeftoversTest {
    @TempDir
    Path home;

    private static Path file(Path p) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "x".repeat(100));
        return p;
    }

    private static Path dir(Path p) throws Exception {
        file(p.resolve("inside/f"));
        return p;
    }

    @Test
    void whatASigkilledDaemonLeftIsSweptAndNothingElse() throws Exception {
        BangerPaths paths = BangerPaths.from(Map.of("BANGER_HOME", home.toString()));
        Path images = paths.imagesDir(), kernels = paths.kernelsDir(), cache = paths.cacheDir(), vms = paths.vmsDir();
        String uuid = "0123abcd-0123-4567-89ab-0123456789ab";
        List<Path> leftovers = List.of(
                dir(images.resolve(".build-7f3a")),
                dir(kernels.resolve(".debian-cloud.tmp-" + uuid)),
                dir(kernels.resolve(".old.rm-" + uuid)),
                file(kernels.resolve("debian-cloud/.manifest.json.tmp-" + uuid)),
                file(images.resolve("img1/.work-seed.ext4.123456789.tmp")),
                file(vms.resolve("vm1/.vm-initrd.img.tmp-" + uuid)),
                dir(cache.resolve("rootfs-4242")),
                dir(cache.resolve("work-seed-77")),
                dir(cache.resolve("tar2ext4-1")),
                dir(cache.resolve("layers2ext4-2")),
                file(cache.resolve("blobs/sha256/.tmp-0123456789ab-987.partial")),
                dir(paths.stateDir().resolve("kvm-probe12345")));
        List<Path> kept = List.of(
                file(images.resolve("img1/rootfs.ext4")),
                file(images.resolve("img1/work-seed.ext4")),
                file(kernels.resolve("debian-cloud/vmlinux")),
                file(kernels.resolve("debian-cloud/manifest.json")),
                file(vms.resolve("vm1/console.log")),
                file(vms.resolve("vm1/root.qcow2")),
                file(cache.resolve("blobs/sha256/" + "a".repeat(64))),
                file(cache.resolve("my-notes.txt")),
                file(cache.resolve("rootfs-notes")),          // not a name banger makes
                file(images.resolve("img1/.hidden-by-user")),
                file(paths.stateDir().resolve("accel-probe.json")));
        Path young = dir(images.resolve(".build-young"));
        Instant cutoff = Instant.now().plusSeconds(1);
        Files.setLastModifiedTime(young, FileTime.from(cutoff.plusSeconds(60)));   // made after the cut-off: a live build

        List<Leftovers.Removed> removed = new Leftovers(paths).sweep(cutoff);

        assertThat(removed).extracting(Leftovers.Removed::path)
                .containsExactlyInAnyOrderElementsOf(leftovers.stream().map(Path::toString).toList());
        for (Path p : leftovers) assertThat(p).doesNotExist();
        for (Path p : kept) assertThat(p).exists();
        assertThat(young).as("younger than the cut-off: may be a live operation's").exists();
        assertThat(removed.stream().mapToLong(Leftovers.Removed::bytes).sum()).isEqualTo(100L * leftovers.size());
        try (Stream<Path> s = Files.walk(home)) {
            assertThat(s.filter(Files::isRegularFile).count()).isEqualTo(kept.size() + 1);
        }
    }
}
