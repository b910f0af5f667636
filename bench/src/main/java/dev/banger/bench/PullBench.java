package dev.banger.bench;

import com.sun.net.httpserver.HttpServer;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.fetch.HttpClients;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.Sha256;
import dev.banger.daemon.kernel.CatalogEntry;
import dev.banger.daemon.kernel.KernelBundles;
import dev.banger.daemon.kernel.KernelCatalog;
import dev.banger.daemon.kernel.KernelPuller;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;

/**
 * Kernel pull throughput: banger's puller (HTTP → sha256 → zstd → hardened tar → manifest →
 * rename) against {@code curl | zstd -d | tar -x} of the same bundle from the same local server,
 * alternating rounds so both see the same page cache and CPU state.
 */
final class PullBench {
    private PullBench() { }

    /** kernelDir: an imported kernel to bundle. Returns the report section. */
    static String run(Path kernelDir, Path work, int rounds) throws Exception {
        FileTrees.deleteRecursively(work);
        Files.createDirectories(work);
        Path bundle = work.resolve("bundle.tar.zst");
        try (OutputStream out = Files.newOutputStream(bundle)) {
            KernelBundles.write(kernelDir, out);
        }
        long size = Files.size(bundle);
        String sha = Sha256.of(bundle);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/bundle.tar.zst", ex -> {
            ex.sendResponseHeaders(200, size);
            try (OutputStream body = ex.getResponseBody(); InputStream in = Files.newInputStream(bundle)) {
                in.transferTo(body);
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/bundle.tar.zst";
            CatalogEntry entry = new CatalogEntry("bench-pull", "debian", "x86_64", "bench", url, sha, size, "benchmark bundle");
            Path kernels = Files.createDirectories(work.resolve("kernels"));
            KernelCatalog catalog = new KernelCatalog(kernels);
            KernelPuller puller = new KernelPuller(catalog, HttpClients.standard());
            // Warm-up of both sides: JIT for banger, page cache for the server's file.
            puller.pull(entry, false, ProgressSink.NONE);
            baseline(url, work.resolve("baseline-warm"));

            List<Double> bangerMs = new ArrayList<>();
            List<Double> baselineMs = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                // Removing the previous copy is outside the timing, as it is for the baseline's directory.
                catalog.remove(entry.name());
                long t = System.nanoTime();
                puller.pull(entry, false, ProgressSink.NONE);
                bangerMs.add((System.nanoTime() - t) / 1e6);
                Path dest = work.resolve("baseline-" + i);
                t = System.nanoTime();
                baseline(url, dest);
                baselineMs.add((System.nanoTime() - t) / 1e6);
                FileTrees.deleteRecursively(dest);
            }
            double mb = size / 1e6;
            double bangerMbs = mb / (Bench.median(bangerMs) / 1000);
            double baselineMbs = mb / (Bench.median(baselineMs) / 1000);
            return String.format(Locale.ROOT, """
                    kernel pull            bundle %.1f MB (zstd tar of vmlinux, initrd.img, modules/)
                                           banger puller median %.0f ms = %.0f MB/s %s
                                           curl|zstd -d|tar -x median %.0f ms = %.0f MB/s %s
                                           ratio banger/baseline throughput %.2f (goal >= 0.90)
                    """, mb, Bench.median(bangerMs), bangerMbs, bangerMs, Bench.median(baselineMs), baselineMbs, baselineMs,
                    bangerMbs / baselineMbs);
        } finally {
            server.stop(0);
            FileTrees.deleteRecursively(work);
        }
    }

    /** The same pull as three plain tools in a pipeline (no shell). */
    private static void baseline(String url, Path dest) throws Exception {
        Files.createDirectories(dest);
        List<Process> ps = ProcessBuilder.startPipeline(List.of(
                new ProcessBuilder("curl", "-sSf", url),
                new ProcessBuilder("zstd", "-dc"),
                new ProcessBuilder("tar", "-x", "-C", dest.toString())
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)));
        for (Process p : ps) {
            if (p.waitFor() != 0) throw new IOException("baseline pipeline failed: " + p.info().command().orElse("?"));
        }
    }
}
