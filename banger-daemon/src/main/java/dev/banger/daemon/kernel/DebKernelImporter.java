package dev.banger.daemon.kernel;

import dev.banger.daemon.fs.PrivateFiles;
import dev.banger.daemon.fs.Sha256;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.host.HostCommand;
import dev.banger.core.ProgressSink;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Turns a Debian linux-image package into a catalog entry. Everything is staged in a hidden
 * directory next to the target and renamed into place at the end, so a failure leaves nothing behind
 * and a reader never sees a half-imported kernel.
 */
public final class DebKernelImporter {
    private static final String STAGE = "import_kernel";

    private final KernelCatalog catalog;
    private final Path kernelsDir;
    private final Path busybox;
    /** dpkg-deb, apt-get download, depmod, decompressors. */
    static final Duration TOOL_TIMEOUT = Duration.ofMinutes(10);

    private final Duration toolTimeout;
    private final DebPackage debs;
    private final DebDownloader downloader;

    public DebKernelImporter(KernelCatalog catalog, Path kernelsDir, Path busybox) {
        this(catalog, kernelsDir, busybox, null);
    }

    /** debCache: where downloaded .debs are kept and reused (tests); null downloads into scratch space. */
    DebKernelImporter(KernelCatalog catalog, Path kernelsDir, Path busybox, Path debCache) {
        this.catalog = catalog;
        this.kernelsDir = kernelsDir.toAbsolutePath().normalize();
        this.busybox = busybox.toAbsolutePath().normalize();
        this.toolTimeout = TOOL_TIMEOUT;
        this.debs = new DebPackage(toolTimeout);
        this.downloader = new DebDownloader(toolTimeout, debs, debCache);
        if (!this.kernelsDir.equals(catalog.kernelsDir())) {
            throw new IllegalArgumentException("importer and catalog disagree on the kernels directory");
        }
    }

    /** packageOrFile: a path to a .deb, or a Debian package name (e.g. linux-image-cloud-amd64, a metapackage: follow its Depends to the real linux-image-6.1.0-N-cloud-amd64). */
    public KernelEntry importDeb(String name, String packageOrFile, ProgressSink progress) throws IOException, InterruptedException {
        KernelCatalog.validateName(name);
        if (packageOrFile == null || packageOrFile.isBlank()) {
            throw new IllegalArgumentException("package name or .deb path must not be empty");
        }
        if (!Files.isRegularFile(busybox) || !Files.isExecutable(busybox)) {
            throw new IOException("busybox binary not found or not executable: " + busybox);
        }
        Path target = kernelsDir.resolve(name);
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "kernel " + name + " already exists");
        }
        Files.createDirectories(kernelsDir);
        Path staging = kernelsDir.resolve("." + name + ".tmp-" + UUID.randomUUID());
        Files.createDirectory(staging);
        try {
            Path scratch = Files.createDirectory(staging.resolve("scratch"));
            Path deb = locateDeb(packageOrFile, scratch, progress);
            DebPackage.Control control = debs.control(deb);

            progress.report(STAGE, "extracting " + control.pkg() + " " + control.version());
            Path root = scratch.resolve("root");
            HostCommand.of(List.of("dpkg-deb", "-x", deb.toString(), root.toString()), toolTimeout).run();
            Path vmlinuz = findVmlinuz(root);
            String version = vmlinuz.getFileName().toString().substring("vmlinuz-".length());
            Path moduleSrc = root.resolve("lib/modules").resolve(version);
            if (!Files.isDirectory(moduleSrc)) {
                throw new IOException(control.pkg() + " has " + vmlinuz.getFileName() + " but no lib/modules/" + version);
            }

            progress.report(STAGE, "extracting vmlinux from " + vmlinuz.getFileName());
            Path vmlinux = staging.resolve("vmlinux");
            new VmlinuxExtractor(toolTimeout).extract(vmlinuz, vmlinux);

            progress.report(STAGE, "building initramfs (busybox + boot modules)");
            ModuleTree tree = new ModuleTree(moduleSrc, toolTimeout);
            List<String> loaded = new BaseInitramfsBuilder(busybox, toolTimeout).build(tree, scratch, staging.resolve("initrd.img"));
            progress.report(STAGE, "initramfs modules: " + String.join(" ", loaded));

            ModuleTree.depmod(busybox, root, version, toolTimeout, progress);
            // Same filesystem as the staging dir, so a rename instead of a copy of ~100 MB of modules.
            Files.move(moduleSrc, staging.resolve("modules"), StandardCopyOption.ATOMIC_MOVE);
            FileTrees.deleteRecursively(scratch);

            String source = isPath(packageOrFile)
                    ? "file:" + deb
                    : "apt:" + control.pkg() + "=" + control.version();
            KernelEntry staged = new KernelEntry(name, "debian", unameArch(control.arch()), version, Sha256.of(vmlinux),
                    source, Instant.now(), staging);
            Manifest.write(staged);
            PrivateFiles.restrictTree(staging);   // unpacked modes (0644/0755) are not for other users
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            progress.report(STAGE, "imported " + name + " (" + version + ")");
            return catalog.find(name).orElseThrow(() -> new IOException("kernel " + name + " vanished right after import"));
        } catch (Throwable e) {
            FileTrees.deleteQuietly(staging, e);
            throw e;
        }
    }

    private Path locateDeb(String packageOrFile, Path scratch, ProgressSink progress) throws IOException, InterruptedException {
        if (isPath(packageOrFile)) {
            Path p = Path.of(packageOrFile).toAbsolutePath().normalize();
            if (!Files.isRegularFile(p)) {
                throw new IOException("no such .deb file: " + p);
            }
            progress.report(STAGE, "using " + p);
            return p;
        }
        if (!DebPackage.PACKAGE_NAME.matcher(packageOrFile).matches()) {
            throw dev.banger.core.rpc.RpcException.invalid("not a .deb path or Debian package name: " + packageOrFile);
        }
        progress.report(STAGE, "downloading " + packageOrFile + " with apt-get");
        Path deb = downloader.download(packageOrFile, scratch);
        progress.report(STAGE, "downloaded " + deb.getFileName() + " (" + Files.size(deb) / (1024 * 1024) + " MiB)");
        return deb;
    }

    private static boolean isPath(String packageOrFile) {
        return packageOrFile.endsWith(".deb") || packageOrFile.contains("/");
    }

    private static Path findVmlinuz(Path root) throws IOException {
        Path boot = root.resolve("boot");
        if (!Files.isDirectory(boot)) {
            throw new IOException("package has no boot/ directory (not a linux-image package?)");
        }
        try (Stream<Path> s = Files.list(boot)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-") && Files.isRegularFile(p)).toList();
            if (found.size() != 1) {
                throw new IOException("expected exactly one boot/vmlinuz-*, found " + found.size());
            }
            Path v = found.getFirst();
            String version = v.getFileName().toString().substring("vmlinuz-".length());
            // The version becomes a path component and a manifest value.
            if (!version.matches("[A-Za-z0-9._+-]{1,100}")) {
                throw new IOException("unexpected kernel version string: " + version);
            }
            return v;
        }
    }

    private static String unameArch(String debArch) {
        return switch (debArch) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            default -> debArch;
        };
    }

}
