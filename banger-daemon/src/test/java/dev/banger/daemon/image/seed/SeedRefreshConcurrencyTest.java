package dev.banger.daemon.image.seed;

import dev.banger.core.ProgressSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seed 002: the host's SSH key rotated, the shared work seed was rewritten in place while
 * parallel {@code vm create} calls were copying it, and they got a torn ext4 ("Superblock
 * checksum does not match"). Readers here materialise work disks from the seed nonstop while a
 * refresher keeps rotating a user key; every disk must come out clean. Rewriting the seed in
 * place instead of renaming a finished temp file over it makes this test fail.
 */
class SeedRefreshConcurrencyTest {
    static final int REFRESHES = 25;
    static final int READERS = 4;
    static final int MIN_READS_PER_READER = 20;

    @TempDir
    Path tmp;

    @Test
    void parallelMaterialiseDuringSeedRefreshNeverSeesATornSeed() throws Exception {
        Path imageDir = Files.createDirectory(tmp.resolve("image"));
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        Path vms = Files.createDirectory(tmp.resolve("vms"));
        Path userSsh = Files.createDirectory(tmp.resolve("user-ssh"));
        Path rootfs = SeedFixtures.fakeRootfs(imageDir, true);
        SshKeys keys = new SshKeys(tmp.resolve("banger-ssh"), userSsh);
        WorkSeeds seeds = new WorkSeeds(scratch);
        Path seed = seeds.ensure(imageDir, rootfs, "/root", keys, ProgressSink.NONE);
        String bangerKey = keys.authorizedKeys().getFirst();

        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean refreshing = new AtomicBoolean(true);
        AtomicInteger refreshes = new AtomicInteger();
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(READERS + 1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            futures.add(pool.submit(() -> {
                start.await();
                try {
                    for (int i = 0; i < REFRESHES; i++) {
                        String before = Files.readString(imageDir.resolve(WorkSeeds.FINGERPRINT_NAME));
                        Files.writeString(userSsh.resolve("id_rotating.pub"), SeedFixtures.fakePublicKey("rotation-" + i) + "\n");
                        seeds.ensure(imageDir, rootfs, "/root", keys, ProgressSink.NONE);
                        if (Files.readString(imageDir.resolve(WorkSeeds.FINGERPRINT_NAME)).equals(before)) {
                            failures.add("refresh " + i + " did not change the fingerprint");
                        }
                        refreshes.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.add("refresh failed: " + e);
                } finally {
                    refreshing.set(false);
                }
                return null;
            }));
            for (int r = 0; r < READERS; r++) {
                int reader = r;
                futures.add(pool.submit(() -> {
                    start.await();
                    int n = 0;
                    while (refreshing.get() || n < MIN_READS_PER_READER) {
                        Path out = vms.resolve("work-" + reader + "-" + n + ".ext4");
                        try {
                            WorkDisks.materialise(seed, out, 64L << 20);
                            SeedFixtures.FsckResult fsck = SeedFixtures.fsck(out);
                            if (fsck.exitCode() != 0) {
                                failures.add(out.getFileName() + ": e2fsck exit " + fsck.exitCode() + ": " + fsck.output());
                            } else if (!SeedFixtures.cat(out, "/.ssh/authorized_keys").startsWith(bangerKey + "\n")) {
                                failures.add(out.getFileName() + ": authorized_keys lost banger's key");
                            }
                        } catch (Exception e) {
                            failures.add(out.getFileName() + ": " + e);
                        } finally {
                            Files.deleteIfExists(out);
                        }
                        n++;
                        reads.incrementAndGet();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }

        assertThat(failures).as("torn or broken work disks").isEmpty();
        assertThat(refreshes.get()).isEqualTo(REFRESHES);
        assertThat(reads.get()).isGreaterThanOrEqualTo(READERS * MIN_READS_PER_READER);
        assertThat(SeedFixtures.fsck(seed).exitCode()).isZero();
        assertThat(Files.readString(imageDir.resolve(WorkSeeds.FINGERPRINT_NAME)).strip()).isEqualTo(keys.fingerprint());
        try (var s = Files.list(imageDir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }
}
