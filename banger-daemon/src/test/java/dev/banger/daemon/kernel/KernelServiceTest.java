package dev.banger.daemon.kernel;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.banger.core.ProgressSink;
import dev.banger.core.rpc.RpcException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The concurrency rules of the kernel catalog (seeds 000 and 002), against a real HTTP server
 * serving real bundles: one download per name however many callers want it, rm never sees a
 * half kernel, a cancelled waiter leaves at once, different names do not wait for each other.
 */
class KernelServiceTest {
    @TempDir
    Path tmp;

    private HttpServer server;
    private final Map<String, byte[]> bundles = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    /** Bundles whose response is held until the latch opens: a pull "in progress" for as long as a test needs. */
    private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
    private KernelCatalog local;
    private Path kernelsDir;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::serve);
        server.start();
        kernelsDir = tmp.resolve("kernels");
        Files.createDirectories(kernelsDir);
        local = new KernelCatalog(kernelsDir);
    }

    @AfterEach
    void stopServer() {
        gates.values().forEach(CountDownLatch::countDown);
        server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        String name = ex.getRequestURI().getPath().substring(1);
        requests.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
        byte[] body = bundles.get(name);
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            int half = body.length / 2;
            out.write(body, 0, half);
            out.flush();
            CountDownLatch gate = gates.get(name);
            if (gate != null) gate.await(30, TimeUnit.SECONDS);
            out.write(body, half, body.length - half);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException clientWentAway) {
            // an interrupted pull closes its connection; nothing to do
        }
    }

    /** A bundle made the way banger makes them, from a kernel dir with an ELF vmlinux and a module. */
    private Path catalogWith(String... names) throws Exception {
        StringBuilder entries = new StringBuilder();
        for (String name : names) {
            Path dir = Files.createDirectories(tmp.resolve("src-" + name));
            byte[] elf = new byte[4096];
            elf[0] = 0x7f;
            elf[1] = 'E';
            elf[2] = 'L';
            elf[3] = 'F';
            elf[4] = 2;
            System.arraycopy(name.getBytes(StandardCharsets.UTF_8), 0, elf, 64, name.length());
            Files.write(dir.resolve("vmlinux"), elf);
            Files.createDirectories(dir.resolve("modules/kernel"));
            Files.writeString(dir.resolve("modules/kernel/virtio.ko"), "module of " + name);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            KernelBundles.write(dir, out);
            byte[] bundle = out.toByteArray();
            bundles.put(name + ".tar.zst", bundle);
            if (!entries.isEmpty()) entries.append(',');
            entries.append("""
                    {"name": "%s", "distro": "debian", "arch": "x86_64", "kernel_version": "6.1.0-test",
                     "tarball_url": "http://127.0.0.1:%d/%s.tar.zst", "tarball_sha256": "%s",
                     "size_bytes": %d, "description": "test kernel %s"}"""
                    .formatted(name, server.getAddress().getPort(), name, sha256(bundle), bundle.length, name));
        }
        Path catalog = tmp.resolve("catalog-" + String.join("-", names) + ".json");
        Files.writeString(catalog, "{\"version\": 1, \"entries\": [" + entries + "]}");
        return catalog;
    }

    private KernelService service(Path catalog) {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        Path busybox = Path.of("/bin/busybox");
        return new KernelService(local, new DebKernelImporter(local, kernelsDir, busybox), new KernelDirImporter(local, busybox),
                new KernelPuller(local, http), List.of(catalog.toString()), http,
                new KernelService.DefaultKernel("debian-cloud", "linux-image-cloud-amd64"), name -> List.of());
    }

    @Test
    void eightParallelAutoPullsOfOneKernelDownloadItOnceAndAllSucceed() throws Exception {
        KernelService kernels = service(catalogWith("k1"));
        CountDownLatch gate = new CountDownLatch(1);
        gates.put("k1.tar.zst", gate);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<KernelEntry>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) results.add(pool.submit(() -> kernels.ensure("k1", ProgressSink.NONE)));
            waitFor(() -> requests.containsKey("k1.tar.zst"));
            Thread.sleep(200);   // give every caller time to queue behind the lock
            gate.countDown();
            for (Future<KernelEntry> f : results) {
                KernelEntry e = f.get(30, TimeUnit.SECONDS);
                assertThat(e.name()).isEqualTo("k1");
                assertThat(e.source()).startsWith("pull:http://127.0.0.1:");
            }
        }
        assertThat(requests.get("k1.tar.zst").get()).isEqualTo(1);
        assertThat(Files.readString(kernelsDir.resolve("k1/modules/kernel/virtio.ko"))).isEqualTo("module of k1");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void explicitPullWaitingBehindAPeerReportsAlreadyPulledWithoutDownloadingAgain() throws Exception {
        KernelService kernels = service(catalogWith("k2"));
        CountDownLatch gate = new CountDownLatch(1);
        gates.put("k2.tar.zst", gate);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<KernelEntry> first = pool.submit(() -> kernels.pull("k2", false, List.of(), ProgressSink.NONE));
            waitFor(() -> requests.containsKey("k2.tar.zst"));
            Future<KernelEntry> second = pool.submit(() -> kernels.pull("k2", false, List.of(), ProgressSink.NONE));
            Thread.sleep(200);
            gate.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS).name()).isEqualTo("k2");
            assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(RpcException.class).hasMessageContaining("already pulled");
        }
        assertThat(requests.get("k2.tar.zst").get()).isEqualTo(1);
    }

    @Test
    void rmRacingAPullNeverLeavesAHalfKernel() throws Exception {
        KernelService kernels = service(catalogWith("k3"));
        for (int round = 0; round < 5; round++) {
            CountDownLatch gate = new CountDownLatch(1);
            gates.put("k3.tar.zst", gate);
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<KernelEntry> pull = pool.submit(() -> kernels.pull("k3", true, List.of(), ProgressSink.NONE));
                Future<KernelEntry> rm = pool.submit(() -> kernels.remove("k3"));
                Thread.sleep(round * 20L);
                gate.countDown();
                pull.get(30, TimeUnit.SECONDS);
                try {
                    rm.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).hasMessageContaining("kernel not found");
                }
            }
            // Whatever the order, the kernel is either whole or absent, and nothing half-made remains.
            if (Files.exists(kernelsDir.resolve("k3"))) {
                assertThat(local.find("k3")).isPresent();
                assertThat(kernelsDir.resolve("k3/vmlinux")).isRegularFile();
                assertThat(kernelsDir.resolve("k3/modules/kernel/virtio.ko")).isRegularFile();
            }
            assertThat(leftovers()).isEmpty();
        }
    }

    @Test
    void cancelledWaiterReturnsPromptlyWhileThePullGoesOn() throws Exception {
        KernelService kernels = service(catalogWith("k4"));
        CountDownLatch gate = new CountDownLatch(1);
        gates.put("k4.tar.zst", gate);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<KernelEntry> holder = pool.submit(() -> kernels.ensure("k4", ProgressSink.NONE));
            waitFor(() -> requests.containsKey("k4.tar.zst"));
            CountDownLatch waiterStarted = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicReference<Object> waiterOutcome = new java.util.concurrent.atomic.AtomicReference<>();
            Thread waiter = Thread.ofVirtual().unstarted(() -> {
                waiterStarted.countDown();
                try {
                    waiterOutcome.set(kernels.ensure("k4", ProgressSink.NONE));
                } catch (Exception e) {
                    waiterOutcome.set(e);
                }
            });
            waiter.start();
            waiterStarted.await();
            // Parked behind the holder's per-name lock, not finished or failed on its own.
            waitFor(() -> waiter.getState() == Thread.State.WAITING);
            assertThat(waiterOutcome.get()).as("the waiter has not returned before it is cancelled").isNull();
            long t0 = System.nanoTime();
            waiter.interrupt();   // what the RPC server does when the waiter's caller disconnects
            assertThat(waiter.join(java.time.Duration.ofSeconds(2))).as("waiter left within 2 s").isTrue();
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2000);
            // The waiter left because it was cancelled: the lock wait is interruptible (NamedLocks.acquire),
            // not because ensure failed some other way or returned a kernel it could not have yet.
            assertThat(waiterOutcome.get()).isInstanceOf(InterruptedException.class);
            assertThat(holder.isDone()).as("the pull goes on").isFalse();
            gate.countDown();
            assertThat(holder.get(30, TimeUnit.SECONDS).name()).isEqualTo("k4");
        }
        assertThat(local.find("k4")).isPresent();
    }

    @Test
    void differentKernelsPullInParallel() throws Exception {
        KernelService kernels = service(catalogWith("ka", "kb"));
        CountDownLatch gate = new CountDownLatch(1);
        gates.put("ka.tar.zst", gate);
        gates.put("kb.tar.zst", gate);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<KernelEntry> a = pool.submit(() -> kernels.ensure("ka", ProgressSink.NONE));
            Future<KernelEntry> b = pool.submit(() -> kernels.ensure("kb", ProgressSink.NONE));
            // Both downloads are in flight at once: a per-name lock, not one global one.
            waitFor(() -> requests.containsKey("ka.tar.zst") && requests.containsKey("kb.tar.zst"));
            gate.countDown();
            assertThat(a.get(30, TimeUnit.SECONDS).name()).isEqualTo("ka");
            assertThat(b.get(30, TimeUnit.SECONDS).name()).isEqualTo("kb");
        }
    }

    @Test
    void availableShowsPulledStateAndUnknownKernelsAreNotFound() throws Exception {
        KernelService kernels = service(catalogWith("kc", "kd"));
        kernels.pull("kc", false, List.of(), ProgressSink.NONE);
        assertThat(kernels.available(List.of())).extracting(a -> a.entry().name() + "=" + a.pulled())
                .containsExactly("kc=true", "kd=false");
        assertThatThrownBy(() -> kernels.ensure("nope", ProgressSink.NONE)).isInstanceOf(RpcException.class)
                .hasMessageContaining("kernel not found: nope");
        assertThatThrownBy(() -> kernels.pull("nope", false, List.of(), ProgressSink.NONE)).isInstanceOf(RpcException.class)
                .hasMessageContaining("not in any catalog");
    }

    @Test
    void aFailedAutoPullLeavesNothingAndTheNextCallerTriesAgain() throws Exception {
        Path catalog = catalogWith("ke", "kf");
        byte[] good = bundles.get("ke.tar.zst");
        bundles.put("ke.tar.zst", bundles.get("kf.tar.zst"));   // a valid bundle, but not the one the catalog vouches for
        KernelService kernels = service(catalog);
        assertThatThrownBy(() -> kernels.ensure("ke", ProgressSink.NONE)).isInstanceOf(IOException.class).hasMessageContaining("ke.tar.zst");
        assertThat(local.find("ke")).isEmpty();
        assertThat(leftovers()).isEmpty();
        bundles.put("ke.tar.zst", good);
        assertThat(kernels.ensure("ke", ProgressSink.NONE).name()).isEqualTo("ke");
    }

    /** Staging or removal directories: anything a half-done operation would leave. */
    private List<String> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(kernelsDir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met within 10 s");
            Thread.sleep(10);
        }
    }

    private static String sha256(byte[] b) {
        return dev.banger.daemon.fs.Sha256.of(b);
    }

}
