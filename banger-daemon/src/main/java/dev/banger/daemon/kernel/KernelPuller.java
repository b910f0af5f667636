package dev.banger.daemon.kernel;

import dev.banger.daemon.fs.PrivateFiles;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.fetch.VerifiedDownload;
import dev.banger.daemon.fs.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Downloads a kernel bundle listed in a {@link RemoteCatalog} into the local {@link KernelCatalog}.
 * The body is hashed, decompressed and unpacked in one pass (no temp tarball; {@link VerifiedDownload}),
 * into a hidden staging
 * directory next to the target; only a bundle whose sha256 matches the catalog and whose vmlinux is
 * an ELF file is renamed into place. Any failure, interruption included, leaves nothing behind.
 */
public final class KernelPuller {
    static final String STAGE = "pull_kernel";
    private static final Logger LOG = LoggerFactory.getLogger(KernelPuller.class);

    private final KernelCatalog catalog;
    private final VerifiedDownload download;

    public KernelPuller(KernelCatalog catalog, HttpClient http) {
        this(catalog, http, VerifiedDownload.DEFAULT_IDLE_TIMEOUT);
    }

    /** idleTimeout: how long the body may deliver no bytes at all before the pull gives up. */
    KernelPuller(KernelCatalog catalog, HttpClient http, Duration idleTimeout) {
        this.catalog = catalog;
        this.download = new VerifiedDownload(http, STAGE, "kernel-pull", idleTimeout);
    }

    /** The caller holds the per-name kernel lock. */
    public KernelEntry pull(CatalogEntry entry, boolean force, ProgressSink progress) throws IOException, InterruptedException {
        String name = entry.name();
        KernelCatalog.validateName(name);
        Path kernelsDir = catalog.kernelsDir();
        Path target = kernelsDir.resolve(name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !force) {
            throw new FileAlreadyExistsException(target.toString(), null,
                    "kernel " + name + " is already pulled (use --force to replace it)");
        }
        Files.createDirectories(kernelsDir);
        Path staging = kernelsDir.resolve("." + name + ".pull-" + UUID.randomUUID());
        Files.createDirectory(staging);
        return VerifiedDownload.cleaningUp(staging, "pull of kernel " + name, () -> {
            String url = entry.tarballUrl();
            // Returns the sha256 of vmlinux, computed as it was written.
            String vmlinuxSha = download.fetch(new VerifiedDownload.Expected(url, entry.tarballSha256(), entry.sizeBytes()),
                    name, progress, body -> BundleExtractor.extractHashingVmlinux(body, staging),
                    e -> e instanceof BundleEntryException ? e : new IOException("bundle " + url + ": " + VerifiedDownload.describe(e), e));
            Path vmlinux = staging.resolve(BundleExtractor.VMLINUX);
            if (!Files.isRegularFile(vmlinux, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("bundle " + url + " has no vmlinux");
            }
            if (!hasElfMagic(vmlinux)) {
                throw new IOException("bundle " + url + ": vmlinux is not an ELF file (bundles carry an uncompressed vmlinux)");
            }
            progress.report(STAGE, "verified " + name + ", installing");
            KernelEntry staged = new KernelEntry(name, entry.distro(), entry.arch(), entry.kernelVersion(),
                    vmlinuxSha, "pull:" + url, Instant.now(), staging);
            Manifest.write(staged);
            publish(name, staging, target, force);
            progress.report(STAGE, "pulled " + name + " (" + entry.kernelVersion() + ")");
            return catalog.find(name).orElseThrow(() -> new IOException("kernel " + name + " vanished right after pull"));
        });
    }

    private void publish(String name, Path staging, Path target, boolean force) throws IOException {
        Path kernelsDir = staging.getParent();
        Path old = null;
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!force) {
                throw new FileAlreadyExistsException(target.toString(), null,
                        "kernel " + name + " is already pulled (use --force to replace it)");
            }
            old = kernelsDir.resolve("." + name + ".rm-" + UUID.randomUUID());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            PrivateFiles.restrictTree(staging);   // unpacked modes (0644/0755) are not for other users
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (old != null) {
                try {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException back) {
                    e.addSuppressed(back);
                }
            }
            throw e;
        }
        if (old != null) {
            try {
                FileTrees.deleteRecursively(old);
            } catch (IOException e) {
                // The new kernel is in place; a leftover hidden directory is only clutter.
                LOG.warn("could not delete the replaced kernel {}: {}", old, e.toString());
            }
        }
    }

    static boolean hasElfMagic(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 0x7F && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
        }
    }
}
