package dev.banger.daemon.kernel;

import dev.banger.daemon.fs.Sha256;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.host.HostCommand;
import dev.banger.core.ProgressSink;
import dev.banger.core.rpc.RpcException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * Turns a Debian linux-image package into a catalog entry, staged and published by {@link KernelStaging}.
 * A path that is no .deb, a name that is no package and a package that holds no kernel are the user's
 * mistakes ({@link RpcException#invalid}); a tool that fails is not.
 */
public final class DebKernelImporter {
    private static final String STAGE = "import_kernel";

    private final KernelStaging staging;
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
        this.staging = new KernelStaging(catalog);
        this.busybox = busybox.toAbsolutePath().normalize();
        this.toolTimeout = TOOL_TIMEOUT;
        this.debs = new DebPackage(toolTimeout);
        this.downloader = new DebDownloader(toolTimeout, debs, debCache);
        if (!kernelsDir.toAbsolutePath().normalize().equals(catalog.kernelsDir())) {
            throw new IllegalArgumentException("importer and catalog disagree on the kernels directory");
        }
    }

    /** packageOrFile: a path to a .deb, or a Debian package name (e.g. linux-image-cloud-amd64, a metapackage: follow its Depends to the real linux-image-6.1.0-N-cloud-amd64). */
    public KernelEntry importDeb(String name, String packageOrFile, ProgressSink progress) throws IOException, InterruptedException {
        KernelStaging.requireValidName(name);
        if (packageOrFile == null || packageOrFile.isBlank()) {
            throw RpcException.invalid("package name or .deb path must not be empty");
        }
        if (!Files.isRegularFile(busybox) || !Files.isExecutable(busybox)) {
            throw new IOException("busybox binary not found or not executable: " + busybox);
        }
        KernelEntry imported = staging.stageAndPublish(name, KernelStaging.Kind.IMPORT, false, dir -> {
            Path scratch = Files.createDirectory(dir.resolve("scratch"));
            Path deb = locateDeb(packageOrFile, scratch, progress);
            DebPackage.Control control = debs.control(deb);

            progress.report(STAGE, "extracting " + control.pkg() + " " + control.version());
            Path root = scratch.resolve("root");
            HostCommand.of(List.of("dpkg-deb", "-x", deb.toString(), root.toString()), toolTimeout).run();
            Path vmlinuz = findVmlinuz(root, packageOrFile);
            String version = vmlinuz.getFileName().toString().substring("vmlinuz-".length());
            Path moduleSrc = root.resolve("lib/modules").resolve(version);
            if (!Files.isDirectory(moduleSrc)) {
                throw new IOException(control.pkg() + " has " + vmlinuz.getFileName() + " but no lib/modules/" + version);
            }

            progress.report(STAGE, "extracting vmlinux from " + vmlinuz.getFileName());
            Path vmlinux = dir.resolve("vmlinux");
            new VmlinuxExtractor(toolTimeout).extract(vmlinuz, vmlinux);

            progress.report(STAGE, "building initramfs (busybox + boot modules)");
            ModuleTree tree = new ModuleTree(moduleSrc, toolTimeout);
            List<String> loaded = new BaseInitramfsBuilder(busybox, toolTimeout).build(tree, scratch, dir.resolve("initrd.img"));
            progress.report(STAGE, "initramfs modules: " + String.join(" ", loaded));

            ModuleTree.depmod(busybox, root, version, toolTimeout, progress);
            // Same filesystem as the staging dir, so a rename instead of a copy of ~100 MB of modules.
            Files.move(moduleSrc, dir.resolve("modules"), StandardCopyOption.ATOMIC_MOVE);
            FileTrees.deleteRecursively(scratch);

            String source = isPath(packageOrFile)
                    ? "file:" + deb
                    : "apt:" + control.pkg() + "=" + control.version();
            return new KernelStaging.Fields("debian", unameArch(control.arch()), version, Sha256.of(vmlinux), source);
        });
        progress.report(STAGE, "imported " + name + " (" + imported.kernelVersion() + ")");
        return imported;
    }

    private Path locateDeb(String packageOrFile, Path scratch, ProgressSink progress) throws IOException, InterruptedException {
        if (isPath(packageOrFile)) {
            Path p = Path.of(packageOrFile).toAbsolutePath().normalize();
            if (!Files.isRegularFile(p)) {
                throw RpcException.invalid("no such .deb file: " + p);
            }
            progress.report(STAGE, "using " + p);
            return p;
        }
        if (!DebPackage.PACKAGE_NAME.matcher(packageOrFile).matches()) {
            throw RpcException.invalid("not a .deb path or Debian package name: " + packageOrFile);
        }
        progress.report(STAGE, "downloading " + packageOrFile + " with apt-get");
        Path deb = downloader.download(packageOrFile, scratch);
        progress.report(STAGE, "downloaded " + deb.getFileName() + " (" + Files.size(deb) / (1024 * 1024) + " MiB)");
        return deb;
    }

    private static boolean isPath(String packageOrFile) {
        return packageOrFile.endsWith(".deb") || packageOrFile.contains("/");
    }

    /** A package without exactly one kernel is the wrong package: the user named it. */
    private static Path findVmlinuz(Path root, String packageOrFile) throws IOException {
        Path boot = root.resolve("boot");
        if (!Files.isDirectory(boot)) {
            throw RpcException.invalid(packageOrFile + ": package has no boot/ directory (not a linux-image package?)");
        }
        try (Stream<Path> s = Files.list(boot)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-") && Files.isRegularFile(p)).toList();
            if (found.size() != 1) {
                throw RpcException.invalid(packageOrFile + ": expected exactly one boot/vmlinuz-*, found " + found.size());
            }
            Path v = found.getFirst();
            String version = v.getFileName().toString().substring("vmlinuz-".length());
            // The version becomes a path component and a manifest value.
            if (!KernelFiles.isVersion(version)) {
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
