package dev.banger.daemon.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One real import of linux-image-cloud-amd64 per test JVM, shared by the kernel and boot tests.
 * The .deb is cached under target/ so reruns skip the download; the imported tree lives under
 * target/ too (mvn clean removes it) and is re-imported by every JVM so the import path is always exercised.
 */
public final class SharedTestKernel {
    public static final String PACKAGE = "linux-image-cloud-amd64";
    public static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final Path CACHE = Path.of("target", "test-cache").toAbsolutePath();

    private static KernelEntry entry;
    private static long importMillis;
    private static final List<String> PROGRESS = Collections.synchronizedList(new ArrayList<>());

    private SharedTestKernel() { }

    public static synchronized KernelEntry get() throws IOException {
        if (entry == null) {
            Path kernels = CACHE.resolve("kernels");
            dev.banger.daemon.fs.FileTrees.deleteRecursively(kernels);
            KernelCatalog catalog = new KernelCatalog(kernels);
            DebKernelImporter importer = new DebKernelImporter(catalog, kernels, BUSYBOX, CACHE.resolve("debs"));
            long t0 = System.nanoTime();
            try {
                entry = importer.importDeb("cloud", PACKAGE, (stage, detail) -> PROGRESS.add(stage + ": " + detail));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted importing the shared test kernel");
            }
            importMillis = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("[shared-kernel] imported " + entry.kernelVersion() + " in " + importMillis + " ms; "
                    + "initrd.img " + Files.size(entry.initrd()) + " bytes, vmlinux " + Files.size(entry.vmlinux()) + " bytes");
            PROGRESS.forEach(p -> System.out.println("[shared-kernel] " + p));
        }
        return entry;
    }

    static List<String> progress() {
        return List.copyOf(PROGRESS);
    }

    static Path debCache() {
        return CACHE.resolve("debs");
    }
}
