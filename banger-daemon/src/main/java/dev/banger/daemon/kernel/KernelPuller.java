package dev.banger.daemon.kernel;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.fetch.VerifiedDownload;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Downloads a kernel bundle listed in a {@link RemoteCatalog} into the local {@link KernelCatalog}.
 * The body is hashed, decompressed and unpacked in one pass (no temp tarball; {@link VerifiedDownload})
 * into {@link KernelStaging}'s directory; only a bundle whose sha256 matches the catalog and whose
 * vmlinux is a 64-bit ELF file is published. Any failure, interruption included, leaves nothing behind.
 */
public final class KernelPuller {
    static final String STAGE = "pull_kernel";

    private final KernelStaging staging;
    private final VerifiedDownload download;

    public KernelPuller(KernelCatalog catalog, HttpClient http) {
        this(catalog, http, VerifiedDownload.DEFAULT_IDLE_TIMEOUT);
    }

    /** idleTimeout: how long the body may deliver no bytes at all before the pull gives up. */
    KernelPuller(KernelCatalog catalog, HttpClient http, Duration idleTimeout) {
        this.staging = new KernelStaging(catalog);
        this.download = new VerifiedDownload(http, STAGE, "kernel-pull", idleTimeout);
    }

    /** The caller holds the per-name kernel lock. */
    public KernelEntry pull(CatalogEntry entry, boolean force, ProgressSink progress) throws IOException, InterruptedException {
        String name = entry.name();
        String url = entry.tarballUrl();
        KernelEntry pulled = staging.stageAndPublish(name, KernelStaging.Kind.PULL, force, dir -> {
            // Returns the sha256 of vmlinux, computed as it was written.
            String vmlinuxSha = download.fetch(new VerifiedDownload.Expected(url, entry.tarballSha256(), entry.sizeBytes()),
                    name, progress, body -> BundleExtractor.extractHashingVmlinux(body, dir),
                    e -> e instanceof BundleEntryException ? e : new IOException("bundle " + url + ": " + VerifiedDownload.describe(e), e));
            Path vmlinux = dir.resolve(BundleExtractor.VMLINUX);
            if (!Files.isRegularFile(vmlinux, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("bundle " + url + " has no vmlinux");
            }
            if (!KernelFiles.isElf64(vmlinux)) {
                throw new IOException("bundle " + url + ": vmlinux is not an ELF file (bundles carry an uncompressed 64-bit vmlinux)");
            }
            progress.report(STAGE, "verified " + name + ", installing");
            return new KernelStaging.Fields(entry.distro(), entry.arch(), entry.kernelVersion(), vmlinuxSha, "pull:" + url);
        });
        progress.report(STAGE, "pulled " + name + " (" + entry.kernelVersion() + ")");
        return pulled;
    }
}
