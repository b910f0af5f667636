package dev.banger.daemon.image;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.ImageRunConfig;
import dev.banger.core.model.Names;
import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.fetch.CatalogFile;
import dev.banger.daemon.fs.Ext4Magic;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.host.HostCommand;
import dev.banger.daemon.image.build.DebianRootfsBuilder;
import dev.banger.daemon.image.build.LayersToExt4;
import dev.banger.daemon.image.build.TarToExt4;
import dev.banger.daemon.image.catalog.ImageBundlePuller;
import dev.banger.daemon.image.catalog.ImageCatalog;
import dev.banger.daemon.image.catalog.ImageCatalogEntry;
import dev.banger.daemon.image.oci.ImageReference;
import dev.banger.daemon.image.oci.PulledImage;
import dev.banger.daemon.image.oci.RegistryClient;
import dev.banger.daemon.image.oci.RegistryRefusal;
import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.kernel.KernelService;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** {@code banger image …} lands here; kernels are {@link KernelService}'s. */
public final class ImageService implements Images {
    /** tar of a directory being imported, streamed into the ext4 writer. */
    private static final Duration DIRECTORY_TAR_TIMEOUT = Duration.ofHours(1);

    private final Path imagesDir;
    private final DaemonConfig config;
    private final Store store;
    private final KernelService kernels;
    private final DebianRootfsBuilder debianBuilder;
    private final TarToExt4 tarToExt4;
    private final RegistryClient registry;
    private final LayersToExt4 layersToExt4;
    private final ImageBundlePuller bundles;
    private final HttpClient http;
    private final NamedLocks imageLocks = new NamedLocks();
    private final Object publication = new Object();

    public ImageService(Path imagesDir, DaemonConfig config, Store store, KernelService kernels,
                        DebianRootfsBuilder debianBuilder, TarToExt4 tarToExt4, RegistryClient registry,
                        LayersToExt4 layersToExt4, ImageBundlePuller bundles, HttpClient http) {
        this.bundles = bundles;
        this.http = http;
        this.tarToExt4 = tarToExt4;
        this.registry = registry;
        this.layersToExt4 = layersToExt4;
        this.imagesDir = imagesDir;
        this.config = config;
        this.store = store;
        this.kernels = kernels;
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
        if (ImageReference.isOciReference(nameOrId)) {
            ImageReference ref = parseReference(nameOrId);
            found = find(ref.canonical());
            if (found.isPresent()) return found.get();
            progress.report("auto_pull_image", "pulling " + ref.canonical());
            return pullOci(ref, progress, true);
        }
        Optional<ImageCatalogEntry> listed = imageCatalog().find(nameOrId);
        if (listed.isPresent()) {
            progress.report("auto_pull_image", "pulling image " + nameOrId + " from " + listed.get().rootfsUrl());
            return pullBundle(listed.get(), progress, true);
        }
        if (!nameOrId.equals(config.defaultImage())) {
            throw RpcException.notFound("image not found: " + nameOrId + " (see banger image ls)");
        }
        return onceUnderLock(nameOrId, true, null, () -> {
            progress.report("auto_pull_image", "building default image " + nameOrId + " (debian "
                    + config.debianSuite() + ") — first run only");
            return buildDebianLocked(nameOrId, config.debianSuite(), progress);
        });
    }

    public ImageRecord buildDebian(String name, String suite, ProgressSink progress) throws Exception {
        validateImageName(name);
        return onceUnderLock(name, false, "image already exists: " + name, () -> buildDebianLocked(name, suite, progress));
    }

    private ImageRecord buildDebianLocked(String name, String suite, ProgressSink progress) throws Exception {
        if (!suite.matches("[a-z][a-z0-9-]{1,30}")) throw RpcException.invalid("invalid suite: " + suite);
        debianBuilder.preflight();   // a host that cannot build says so before the kernel is downloaded
        kernels.ensure(config.defaultKernel(), progress);
        return publishBuiltLocked(name, config.defaultKernel(), "debian:" + suite, null, progress,
                target -> debianBuilder.build(suite, DebianRootfsBuilder.DEFAULT_PACKAGES, URI.create(config.debianMirror()),
                        target, progress));
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

    /** {@code image pull REF}: an OCI image from a registry, named by its canonical reference. */
    public ImageRecord pull(String reference, ProgressSink progress) throws Exception {
        if (!ImageReference.isOciReference(reference)) {
            Optional<ImageCatalogEntry> listed = imageCatalog().find(reference);
            if (listed.isPresent()) return pullBundle(listed.get(), progress, false);
        }
        return pullOci(parseReference(reference), progress, false);
    }

    private static ImageReference parseReference(String reference) {
        try {
            return ImageReference.parse(reference);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid(e.getMessage());
        }
    }

    /**
     * Pull, flatten and publish under the reference's lock. Parallel creates of one missing image
     * pull it once: waiters re-check after the lock and use the published image (seed 002, fix 2).
     * An explicit pull of a present image is a conflict; an auto-pull just uses it.
     */
    private ImageRecord pullOci(ImageReference ref, ProgressSink progress, boolean reuseExisting) throws Exception {
        String name = ref.canonical();
        return onceUnderLock(name, reuseExisting, alreadyPulled(name), () -> {
            ImageRecord published;
            try (var inUse = registry.cache().inUse()) {   // no eviction or prune under our layers
                PulledImage pulled = pullFromRegistry(ref, progress);
                List<LayersToExt4.Layer> layers = pulled.layers().stream()
                        .map(l -> new LayersToExt4.Layer(l.path(), l.mediaType(), l.digest())).toList();
                published = publishBuiltLocked(name, config.defaultKernel(), "oci:" + name + "@" + pulled.manifestDigest(),
                        pulled.config(), progress, target -> layersToExt4.convert(layers, target, progress));
            }
            registry.cache().evictToCap();
            return published;
        });
    }

    /**
     * A registry's refusal is the user's to act on, so it says what happened in their words: a missing
     * repository or tag is "not found" (naming the reference), a refused access says how to log in.
     */
    private PulledImage pullFromRegistry(ImageReference ref, ProgressSink progress) throws IOException, InterruptedException {
        try {
            return registry.pull(ref, progress);
        } catch (RegistryRefusal e) {
            if (e.reason() == RegistryRefusal.Reason.NOT_FOUND) throw RpcException.notFound(e.getMessage());
            String login = e.registry().equals(ImageReference.DOCKER_HUB) ? "docker login" : "docker login " + e.registry();
            throw new RpcException(RpcErrors.FAILED, e.getMessage() + "; to authenticate, run '" + login
                    + "' as the user bangerd runs as (bangerd reads $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json)", e);
        }
    }

    /**
     * {@code image promote VM NAME}: the VM's current root (its image under its copy-on-write
     * overlay) becomes the base of a new image with the same kernel and run config. The caller
     * holds the VM's lock and has checked it is not running.
     */
    public ImageRecord promote(VmRecord vm, String name, ProgressSink progress) throws Exception {
        validateImageName(name);
        Path overlay = Path.of(vm.runtime().overlayPath());
        if (!Files.isRegularFile(overlay)) {
            throw RpcException.conflict("vm " + vm.name() + " has no root disk yet (it was never started)");
        }
        ImageRecord base = store.imageById(vm.imageId())
                .orElseThrow(() -> RpcException.notFound("image of vm " + vm.name() + " no longer exists"));
        return publishBuilt(name, base.kernelRef(), "promote:" + vm.name() + "@" + vm.id(), base.config(), progress, target -> {
            progress.report("build_ext4", "flattening the root overlay of " + vm.name());
            HostCommand.of(List.of("qemu-img", "convert", "-f", "qcow2", "-O", "raw", overlay.toString(), target.toString()),
                    Duration.ofMinutes(30)).run();
            // A guest that was killed leaves its journal to replay: do it on our copy, never on the VM's disk.
            HostCommand.of(List.of("e2fsck", "-fy", target.toString()), Duration.ofMinutes(10)).okExitCodes(0, 1).run();
        });
    }

    /** Registers an existing ext4 root filesystem: the file is copied, so later edits to it do not reach VMs. */
    public ImageRecord register(String name, Path rootfs, String kernelRef, ProgressSink progress) throws Exception {
        validateImageName(name);
        Path source = requireAbsoluteFile(rootfs, "--rootfs");
        if (!Ext4Magic.isExt4(source)) throw RpcException.invalid("not an ext4 filesystem image: " + source);
        return publishBuilt(name, kernelRef, "register:" + source, null, progress, target -> {
            progress.report("build_ext4", "copying " + source);
            HostCommand.of(List.of("cp", "--sparse=always", "--reflink=auto", source.toString(), target.toString()),
                    Duration.ofMinutes(30)).run();
            HostCommand.of(List.of("e2fsck", "-fn", target.toString()), Duration.ofMinutes(10)).run();
        });
    }

    /** Imports a root filesystem from an ext4 file, a directory, or a tarball (.tar, .tar.gz/.tgz, .tar.zst). */
    public ImageRecord importImage(String name, Path source, String kernelRef, ProgressSink progress) throws Exception {
        validateImageName(name);
        if (source == null || !source.isAbsolute()) throw RpcException.invalid("import source must be an absolute path: " + source);
        Path src = source.normalize();
        if (Files.isRegularFile(src) && Ext4Magic.isExt4(src)) return register(name, src, kernelRef, progress);
        if (Files.isDirectory(src)) {
            return publishBuilt(name, kernelRef, "import:" + src, null, progress, target -> {
                // tar of the tree as it is (numeric owners kept), streamed: no copy of the tree on disk.
                try (HostCommand.Running tar = HostCommand.of(
                        List.of("tar", "-C", src.toString(), "--numeric-owner", "-cf", "-", "."), DIRECTORY_TAR_TIMEOUT).start()) {
                    tarToExt4.convert(tar.stdout(), target, progress);
                    tar.finish();
                }
            });
        }
        Path file = requireAbsoluteFile(src, "import source");
        return publishBuilt(name, kernelRef, "import:" + file, null, progress, target -> {
            try (InputStream in = Archives.decompressing(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
                tarToExt4.convert(in, target, progress);
            }
        });
    }

    interface RootfsWriter {
        void write(Path target) throws Exception;
    }

    /** Builds rootfs.ext4 in a staging dir under the image's name lock, then publishes image and record together. */
    private ImageRecord publishBuilt(String name, String kernelRef, String source, ImageRunConfig runConfig,
                                     ProgressSink progress, RootfsWriter writer) throws Exception {
        return onceUnderLock(name, false, "image already exists: " + name,
                () -> publishBuiltLocked(name, kernelRef, source, runConfig, progress, writer));
    }

    /** Runs inside {@link #onceUnderLock}: the caller holds the name's lock and the name is free. */
    private ImageRecord publishBuiltLocked(String name, String kernelRef, String source, ImageRunConfig runConfig,
                                           ProgressSink progress, RootfsWriter writer) throws Exception {
        String kernel = kernelRef == null || kernelRef.isBlank() ? config.defaultKernel() : kernelRef;
        kernels.requireKnown(kernel);
        String id = Names.newId();
        Path staging = imagesDir.resolve(".build-" + id);
        Path finalDir = imagesDir.resolve(id);
        Files.createDirectories(staging);
        try {
            Path rootfs = staging.resolve("rootfs.ext4");
            writer.write(rootfs);
            // The base is shared by every VM's overlay: read-only, so nothing writes through; QEMU runs as
            // the owner, so nobody else needs to read it either.
            Files.setPosixFilePermissions(rootfs, PosixFilePermissions.fromString("r--------"));
            ImageRecord image = new ImageRecord(id, name, finalDir.resolve("rootfs.ext4").toString(), kernel, source,
                    Files.size(rootfs), Instant.now(), runConfig);
            publish(staging, finalDir, image);
            progress.report("build_ext4", "published image " + name);
            return image;
        } finally {
            FileTrees.deleteRecursively(staging);
        }
    }

    /**
     * A bundle from the image catalog (seed 000 imagecat). Auto-pull (reuseExisting) waits on the
     * name's lock and uses a peer's published image; an explicit pull of a present image is a conflict.
     */
    private ImageRecord pullBundle(ImageCatalogEntry entry, ProgressSink progress, boolean reuseExisting) throws Exception {
        return onceUnderLock(entry.name(), reuseExisting, alreadyPulled(entry.name()),
                () -> publishBuiltLocked(entry.name(), entry.kernelRef(), "catalog:" + entry.rootfsUrl(), null, progress,
                        target -> bundles.fetchRootfs(entry, target, progress)));
    }

    /** A catalog image and whether it is already pulled ({@code image ls --available}). */
    public record AvailableImage(String name, String kernelRef, String format, long sizeBytes, String description,
                                 String rootfsUrl, boolean pulled) { }

    public List<AvailableImage> available() throws InterruptedException {
        return imageCatalog().entries().stream().map(e -> new AvailableImage(e.name(), e.kernelRef(), e.format(),
                e.sizeBytes(), e.description(), e.rootfsUrl(), find(e.name()).isPresent())).toList();
    }

    interface LockedBuild {
        ImageRecord build() throws Exception;
    }

    /**
     * Runs build under the name's lock unless the image exists by then (seed 002, fix 2): an
     * auto-pull (reuseExisting) uses the image a peer published while it waited; an explicit build,
     * pull or import is refused with conflictMessage. Waiting is interruptible.
     */
    private ImageRecord onceUnderLock(String name, boolean reuseExisting, String conflictMessage, LockedBuild build)
            throws Exception {
        try (AutoCloseable ignored = imageLocks.acquire(name)) {
            Optional<ImageRecord> found = find(name);
            if (found.isPresent()) {
                if (reuseExisting) return found.get();
                throw RpcException.conflict(conflictMessage);
            }
            return build.build();
        }
    }

    private static String alreadyPulled(String name) {
        return "image already pulled: " + name + " (banger image rm it first to pull again)";
    }

    /** Embedded + configured image catalogs; later ones win on a name. */
    private CatalogFile<ImageCatalogEntry> imageCatalog() throws InterruptedException {
        CatalogFile<ImageCatalogEntry> c = ImageCatalog.embedded();
        for (String source : config.imageCatalogs()) {
            try {
                c = c.with(ImageCatalog.load(source, http));
            } catch (IOException | IllegalArgumentException e) {
                throw RpcException.invalid(e.getMessage());
            }
        }
        return c;
    }

    private static Path requireAbsoluteFile(Path p, String what) {
        if (p == null || !p.isAbsolute()) throw RpcException.invalid(what + " must be an absolute path: " + p);
        if (!Files.isRegularFile(p)) throw RpcException.invalid(what + ": no such file: " + p);
        return p.normalize();
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
        return kernels.ensure(image.kernelRef(), progress);
    }
}
