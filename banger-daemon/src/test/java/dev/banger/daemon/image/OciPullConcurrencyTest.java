package dev.banger.daemon.image;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.daemon.image.build.TarBuilder;
import dev.banger.daemon.image.oci.OciLayoutFixture;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import dev.banger.daemon.image.oci.TestRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Parallel auto-pulls of one missing image through {@link ImageService#resolve}: one pull, one
 * image, every caller gets it; and a caller waiting behind a running pull whose thread is
 * interrupted (its RPC cancelled) leaves at once without disturbing the pull.
 */
class OciPullConcurrencyTest {
    private static final int THREADS = 8;

    @TempDir
    Path tmp;

    private String pushSmallImage(TestRegistry reg, String repoTag) throws Exception {
        byte[] tar = new TarBuilder().dir("etc", 0755, 0, 0).file("etc/os-release", 0644, 0, 0, "ID=test\n")
                .dir("bin", 0755, 0, 0).file("bin/app", 0755, 0, 0, "#!/bin/sh\necho app\n").bytes();
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1",
                List.of(new OciLayoutFixture.Layer(tar, Compression.GZIP)), OciLayoutFixture.Config.none());
        reg.pushExact(w, repoTag);
        return reg.host() + "/" + repoTag;
    }

    private static long manifestGets(TestRegistry reg, String repo) throws Exception {
        return reg.requests().stream()
                .filter(r -> r.method().equals("GET") && r.path().startsWith("/v2/" + repo + "/manifests/")).count();
    }

    @Test
    void eightParallelResolvesOfAMissingImagePullItOnceAndAllGetIt() throws Exception {
        try (TestRegistry reg = TestRegistry.start(); PullHarness h = PullHarness.start();
             ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
            String ref = pushSmallImage(reg, "conc/app:v1");
            long manifestsBefore = manifestGets(reg, "conc/app");

            // Every caller reports auto_pull_image after missing the store and before taking the lock; the
            // pull holds the lock until all of them have, so all eight really race for one missing image.
            AtomicInteger missed = new AtomicInteger();
            AtomicInteger pulls = new AtomicInteger();
            ProgressSink sink = (stage, detail) -> {
                if (stage.equals("auto_pull_image")) missed.incrementAndGet();
                if (stage.equals("pull_image") && detail.startsWith("resolving")) {
                    pulls.incrementAndGet();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (missed.get() < THREADS && System.nanoTime() < deadline) java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            };
            CountDownLatch go = new CountDownLatch(1);
            List<Future<ImageRecord>> results = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return h.images.resolve(ref, sink);
                }));
            }
            go.countDown();
            List<String> ids = new ArrayList<>();
            for (Future<ImageRecord> f : results) ids.add(f.get(120, TimeUnit.SECONDS).id());

            assertThat(missed.get()).as("callers that found no image and went for the lock").isEqualTo(THREADS);
            assertThat(pulls.get()).as("pulls started").isEqualTo(1);
            assertThat(ids).hasSize(THREADS).containsOnly(ids.get(0));
            assertThat(h.images.list()).singleElement().satisfies(i -> {
                assertThat(i.id()).isEqualTo(ids.get(0));
                assertThat(i.name()).isEqualTo(ref);
            });
            assertThat(manifestGets(reg, "conc/app") - manifestsBefore).as("manifest GETs").isEqualTo(1);
            assertThat(h.imageDirEntries()).containsExactly(ids.get(0));
            assertThat(h.cacheEntriesBesideBlobs()).isEmpty();
        }
    }

    @Test
    void anInterruptedWaiterLeavesPromptlyWhileTheHolderFinishesItsPull() throws Exception {
        try (TestRegistry reg = TestRegistry.start(); PullHarness h = PullHarness.start();
             ExecutorService pool = Executors.newSingleThreadExecutor()) {
            String ref = pushSmallImage(reg, "conc/slow:v1");

            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ProgressSink holderSink = (stage, detail) -> {
                if (stage.equals("pull_image") && detail.startsWith("resolving")) {   // inside the lock
                    holding.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            Future<ImageRecord> holder = pool.submit(() -> h.images.pull(ref, holderSink));
            try {
                assertThat(holding.await(30, TimeUnit.SECONDS)).as("holder took the lock").isTrue();

                CountDownLatch goingForLock = new CountDownLatch(1);
                AtomicReference<Throwable> waiterOutcome = new AtomicReference<>();
                Thread waiter = new Thread(() -> {
                    try {
                        h.images.resolve(ref, (stage, detail) -> {
                            if (stage.equals("auto_pull_image")) goingForLock.countDown();
                        });
                        waiterOutcome.set(new AssertionError("resolve returned instead of being interrupted"));
                    } catch (Throwable t) {
                        waiterOutcome.set(t);
                    }
                }, "interrupted-waiter");
                waiter.start();
                assertThat(goingForLock.await(30, TimeUnit.SECONDS)).isTrue();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (waiter.getState() != Thread.State.WAITING && System.nanoTime() < until) Thread.sleep(5);
                assertThat(waiter.getState()).as("waiter parked on the image lock").isEqualTo(Thread.State.WAITING);

                long t0 = System.nanoTime();
                waiter.interrupt();
                waiter.join(2000);
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(waiter.isAlive()).as("waiter still blocked " + tookMs + " ms after the interrupt").isFalse();
                assertThat(tookMs).isLessThan(2000);
                assertThat(causes(waiterOutcome.get())).as("waiter's outcome: " + waiterOutcome.get())
                        .anyMatch(c -> c instanceof InterruptedException);

                assertThat(holder.isDone()).as("the holder is still pulling").isFalse();
                assertThat(h.images.list()).isEmpty();
            } finally {
                release.countDown();
            }
            ImageRecord image = holder.get(120, TimeUnit.SECONDS);
            assertThat(image.name()).isEqualTo(ref);
            assertThat(h.images.list()).containsExactly(image);
            assertThat(h.imageDirEntries()).containsExactly(image.id());
            assertThat(h.images.resolve(ref, ProgressSink.NONE)).isEqualTo(image);
        }
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        for (Throwable c = t; c != null && !out.contains(c); c = c.getCause()) out.add(c);
        return out;
    }
}
