package dev.banger.daemon.kernel;

import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.fetch.VerifiedDownload;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.UUID;

/**
 * The one way a kernel enters the catalog, whatever it came from (Debian package, staged directory,
 * catalog pull): a hidden staging directory next to the target, filled by the caller, given its
 * manifest, made private (0700 dirs, 0600 files, whatever modes the source had) and renamed into place.
 * A reader never sees a half-built kernel; any failure, interruption included, leaves nothing behind; a
 * replaced kernel is put back if the rename fails.
 *
 * <p>The caller holds the per-name kernel lock.
 */
final class KernelStaging {
    private static final Logger LOG = LoggerFactory.getLogger(KernelStaging.class);

    /** How a kernel got here: the staging directory's infix, the verb of messages and the refusal of an existing name. */
    enum Kind {
        IMPORT("tmp", "import", "already exists"),
        PULL("pull", "pull", "is already pulled (use --force to replace it)");

        final String infix;
        final String verb;
        final String exists;

        Kind(String infix, String verb, String exists) {
            this.infix = infix;
            this.verb = verb;
            this.exists = exists;
        }
    }

    /** The manifest fields the staged content determines. */
    record Fields(String distro, String arch, String kernelVersion, String sha256, String source) { }

    /** Fills the empty staging directory (vmlinux, initrd.img, modules/) and says what it holds. */
    @FunctionalInterface
    interface Filler {
        Fields fill(Path staging) throws IOException, InterruptedException;
    }

    private final KernelCatalog catalog;

    KernelStaging(KernelCatalog catalog) {
        this.catalog = catalog;
    }

    /** A name the user gave: refused as invalid input, in one line. */
    static void requireValidName(String name) {
        try {
            KernelCatalog.validateName(name);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid(e.getMessage());
        }
    }

    /** Refuses an existing kernel unless replace; cheap, so callers check before any slow work too. */
    void refuseExisting(String name, Kind kind, boolean replace) throws FileAlreadyExistsException {
        Path target = catalog.kernelsDir().resolve(name);
        if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "kernel " + name + " " + kind.exists);
        }
    }

    /** Stages, fills and publishes kernel {@code name}; replace: an existing kernel of that name is swapped out. */
    KernelEntry stageAndPublish(String name, Kind kind, boolean replace, Filler filler) throws IOException, InterruptedException {
        requireValidName(name);
        refuseExisting(name, kind, replace);
        Path kernelsDir = catalog.kernelsDir();
        Files.createDirectories(kernelsDir);
        Path staging = kernelsDir.resolve("." + name + "." + kind.infix + "-" + UUID.randomUUID());
        Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(PrivateFiles.DIR));
        return VerifiedDownload.cleaningUp(staging, kind.verb + " of kernel " + name, () -> {
            Fields f = filler.fill(staging);
            Manifest.write(new KernelEntry(name, f.distro(), f.arch(), f.kernelVersion(), f.sha256(), f.source(),
                    Instant.now(), staging));
            publish(name, kind, staging, replace);
            return catalog.find(name).orElseThrow(() -> new IOException("kernel " + name + " vanished right after " + kind.verb));
        });
    }

    private void publish(String name, Kind kind, Path staging, boolean replace) throws IOException {
        PrivateFiles.restrictTree(staging);   // unpacked or copied modes (0644/0755) are not for other users
        Path kernelsDir = catalog.kernelsDir();
        Path target = kernelsDir.resolve(name);
        Path old = null;
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            refuseExisting(name, kind, replace);   // appeared while we were staging
            old = kernelsDir.resolve("." + name + ".rm-" + UUID.randomUUID());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
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
                // The new kernel is in place; a leftover hidden directory is only clutter (swept at start).
                LOG.warn("could not delete the replaced kernel {}: {}", old, e.toString());
            }
        }
    }
}
