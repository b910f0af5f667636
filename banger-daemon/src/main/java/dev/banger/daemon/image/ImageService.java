package dev.banger.daemon.image;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.Names;
import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.image.build.DebianRootfsBuilder;
import dev.banger.daemon.image.build.Ext4Result;
import dev.banger.daemon.kernel.DebKernelImporter;
import dev.banger.daemon.kernel.KernelCatalog;
import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Images and kernels: {@code banger image …} and {@code banger kernel …} land here. */
public final class ImageService implements Images {
    private final Path imagesDir;
    private final DaemonConfig config;
    private final Store store;
    private final KernelCatalog kernels;
    private final DebKernelImporter kernelImporter;
    private final DebianRootfsBuilder debianBuilder;
    private final NamedLocks imageLocks = new NamedLocks();
    private final NamedLocks kernelLocks = new NamedLocks();
    private final Object publication = new Object();

    public ImageService(Path imagesDir, DaemonConfig config, Store store, KernelCatalog kernels,
                        DebKernelImporter kernelImporter, DebianRootfsBuilder debianBuilder) {
        this.imagesDir = imagesDir;
        this.config = config;
        this.store = store;
        this.kernels = kernels;
        this.kernelImporter = kernelImporter;
        this.debianBuilder = debianBuilder;
    }

    // ---------------------------------------------------------------- images

    public Optional<ImageRecord> find(String nameOrId) {
        Optional<ImageRecord> byName = store.imageByName(nameOrId);
        return byName.isPresent() ? byName : store.imageById(nameOrId);
    }

    /**
     * The image named, or — for the default image on a fresh machine — build it now, once:
     * parallel creates wait on the per-name lock and re-check after acquiring it, so the
     * loser uses the winner's published image (seed 002, fix 2).
     */
    @Override
    public ImageRecord resolve(String nameOrId, ProgressSink progress) throws Exception {
        Optional<ImageRecord> found = find(nameOrId);
        if (found.isPresent()) return found.get();
        if (!nameOrId.equals(config.defaultImage())) {
            throw RpcException.notFound("image not found: " + nameOrId + " (see banger image ls)");
        }
        try (AutoCloseable ignored = imageLocks.acquire(nameOrId)) {
            found = find(nameOrId);
            if (found.isPresent()) return found.get();
            progress.report("auto_pull_image", "building default image " + nameOrId + " (debian "
                    + config.debianSuite() + ") — first run only");
            return buildDebianLocked(nameOrId, config.debianSuite(), progress);
        }
    }

    public ImageRecord buildDebian(String name, String suite, ProgressSink progress) throws Exception {
        validateImageName(name);
        try (AutoCloseable ignored = imageLocks.acquire(name)) {
            if (find(name).isPresent()) throw RpcException.conflict("image already exists: " + name);
            return buildDebianLocked(name, suite, progress);
        }
    }

    private ImageRecord buildDebianLocked(String name, String suite, ProgressSink progress) throws Exception {
        if (!suite.matches("[a-z][a-z0-9-]{1,30}")) throw RpcException.invalid("invalid suite: " + suite);
        ensureKernel(config.defaultKernel(), progress);
        String id = Names.newId();
        Path staging = imagesDir.resolve(".build-" + id);
        Path finalDir = imagesDir.resolve(id);
        Files.createDirectories(staging);
        try {
            Path rootfs = staging.resolve("rootfs.ext4");
            Ext4Result result = debianBuilder.build(suite, DebianRootfsBuilder.DEFAULT_PACKAGES,
                    URI.create(config.debianMirror()), rootfs, progress);
            // The base is shared by every VM's overlay: make it read-only so nothing writes through.
            Files.setPosixFilePermissions(rootfs, PosixFilePermissions.fromString("r--r--r--"));
            ImageRecord image = new ImageRecord(id, name, finalDir.resolve("rootfs.ext4").toString(),
                    config.defaultKernel(), "debian:" + suite, result.sizeBytes(), Instant.now());
            publish(staging, finalDir, image);
            return image;
        } finally {
            FileTrees.deleteRecursively(staging);
        }
    }

    /** Rename + insert as one step: a reader sees either no image or a complete one. */
    private void publish(Path staging, Path finalDir, ImageRecord image) throws IOException {
        synchronized (publication) {
            if (store.imageByName(image.name()).isPresent()) throw RpcException.conflict("image already exists: " + image.name());
            Files.move(staging, finalDir, StandardCopyOption.ATOMIC_MOVE);
            try {
                store.insertImage(image);
            } catch (RuntimeException e) {
                FileTrees.deleteRecursively(finalDir);
                throw e;
            }
        }
    }

    public List<ImageRecord> list() {
        return store.listImages();
    }

    public ImageRecord show(String nameOrId) {
        return find(nameOrId).orElseThrow(() -> RpcException.notFound("image not found: " + nameOrId));
    }

    public ImageRecord remove(String nameOrId) throws Exception {
        ImageRecord image = show(nameOrId);
        try (AutoCloseable ignored = imageLocks.acquire(image.name())) {
            List<String> users = store.listVms().stream().filter(v -> image.id().equals(v.imageId()))
                    .map(VmRecord::name).toList();
            if (!users.isEmpty()) {
                throw RpcException.conflict("image " + image.name() + " is used by " + String.join(", ", users));
            }
            store.deleteImage(image.id());
            FileTrees.deleteRecursively(Path.of(image.rootfsPath()).getParent());
            return image;
        }
    }

    private static void validateImageName(String name) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
            throw RpcException.invalid("invalid image name \"" + name + "\": use lowercase letters, digits, '.', '_' and '-'");
        }
    }

    // ---------------------------------------------------------------- kernels

    @Override
    public KernelEntry kernelFor(ImageRecord image, ProgressSink progress) throws Exception {
        return ensureKernel(image.kernelRef(), progress);
    }

    /** The kernel named, importing the configured Debian package on first use of the default kernel. */
    KernelEntry ensureKernel(String name, ProgressSink progress) throws Exception {
        Optional<KernelEntry> found = kernels.find(name);
        if (found.isPresent()) return found.get();
        if (!name.equals(config.defaultKernel())) {
            throw RpcException.notFound("kernel not found: " + name + " (see banger kernel ls)");
        }
        try (AutoCloseable ignored = kernelLocks.acquire(name)) {
            found = kernels.find(name);
            if (found.isPresent()) return found.get();
            progress.report("auto_pull_image", "importing kernel " + name + " from " + config.kernelPackage());
            return kernelImporter.importDeb(name, config.kernelPackage(), progress);
        }
    }

    public KernelEntry importKernel(String name, String packageOrFile, ProgressSink progress) throws Exception {
        validateKernelName(name);
        try (AutoCloseable ignored = kernelLocks.acquire(name)) {
            if (kernels.find(name).isPresent()) throw RpcException.conflict("kernel already exists: " + name);
            return kernelImporter.importDeb(name, packageOrFile, progress);
        }
    }

    public List<KernelEntry> listKernels() throws IOException {
        return kernels.list();
    }

    public KernelEntry showKernel(String name) throws IOException {
        validateKernelName(name);
        return kernels.find(name).orElseThrow(() -> RpcException.notFound("kernel not found: " + name));
    }

    public KernelEntry removeKernel(String name) throws Exception {
        validateKernelName(name);
        try (AutoCloseable ignored = kernelLocks.acquire(name)) {
            KernelEntry entry = kernels.find(name).orElseThrow(() -> RpcException.notFound("kernel not found: " + name));
            List<String> users = store.listImages().stream().filter(i -> name.equals(i.kernelRef())).map(ImageRecord::name).toList();
            if (!users.isEmpty()) throw RpcException.conflict("kernel " + name + " is used by image " + String.join(", ", users));
            kernels.remove(name);
            return entry;
        }
    }

    private static void validateKernelName(String name) {
        try {
            KernelCatalog.validateName(name);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid(e.getMessage());
        }
    }
}
