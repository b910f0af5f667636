package dev.banger.daemon.kernel;

import dev.banger.daemon.fs.Sha256;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.core.ProgressSink;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.host.HostCommand;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Imports a kernel from a directory the user staged (e.g. a distro's /boot and /lib/modules copied out, or a
 * custom build). The directory is only read: the kernel is decompressed into the catalog, the modules tree is
 * copied, and banger's base initramfs is built from those modules exactly as {@link DebKernelImporter} does.
 * {@link KernelStaging} stages and publishes it, so a failure leaves nothing behind. What the directory holds is
 * the user's doing: a missing kernel, a bad metadata.json or a path leaving the directory is invalid input
 * ({@link RpcException#invalid}), never a generic failure.
 *
 * <p>The caller holds the per-name lock.
 */
public final class KernelDirImporter {
    private static final String STAGE = "import_kernel";
    static final String METADATA = "metadata.json";
    private static final Set<String> METADATA_FIELDS = Set.of("kernel", "initrd", "modules", "kernel_version", "distro", "arch");
    /** Names become manifest values; keep them tame (versions: {@link KernelFiles#VERSION}). */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._+-]{1,64}");
    private static final Pattern VERSION_TOKEN = Pattern.compile("\\d+|\\D+");
    private static final Pattern KERNEL_FILE = Pattern.compile("vmlinu[xz]-(.+)");

    private final KernelStaging staging;
    private final Path busybox;
    private final Duration toolTimeout;

    public KernelDirImporter(KernelCatalog catalog, Path busybox) {
        this.staging = new KernelStaging(catalog);
        this.busybox = busybox.toAbsolutePath().normalize();
        this.toolTimeout = DebKernelImporter.TOOL_TIMEOUT;
    }

    /** What was found in the staged directory; every path is a real path inside it. initrd and modules may be null. */
    record Staged(Path kernel, Path initrd, Path modules, String version, String distro, String arch, String how) { }

    public KernelEntry importDir(String name, Path dir, ProgressSink progress) throws IOException, InterruptedException {
        KernelStaging.requireValidName(name);
        if (dir == null) {
            throw RpcException.invalid("kernel directory must not be empty");
        }
        ProgressSink out = progress == null ? ProgressSink.NONE : progress;
        Path src = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(src)) {
            throw RpcException.invalid("not a directory: " + src);
        }
        staging.refuseExisting(name, KernelStaging.Kind.IMPORT, false);   // before reading the directory
        Staged staged = resolve(src);
        out.report(STAGE, "using " + staged.how() + ": kernel " + rel(src, staged.kernel())
                + (staged.modules() != null ? ", modules " + rel(src, staged.modules()) : ", no modules")
                + (staged.initrd() != null ? ", initrd " + rel(src, staged.initrd()) : ", no initrd")
                + ", version " + staged.version());
        if (staged.modules() != null && (!Files.isRegularFile(busybox) || !Files.isExecutable(busybox))) {
            throw new IOException("busybox binary not found or not executable: " + busybox);
        }

        KernelEntry imported = staging.stageAndPublish(name, KernelStaging.Kind.IMPORT, false, into -> {
            Path scratch = Files.createDirectory(into.resolve("scratch"));
            Path vmlinux = into.resolve("vmlinux");
            installKernel(staged.kernel(), vmlinux, out);

            if (staged.modules() != null) {
                String modVersion = staged.modules().getFileName().toString();
                Path modRoot = scratch.resolve("root");
                Path modCopy = modRoot.resolve("lib/modules").resolve(modVersion);
                out.report(STAGE, "copying modules from " + rel(src, staged.modules()));
                int skipped = copyTree(staged.modules(), modCopy);
                if (skipped > 0) {
                    out.report(STAGE, "skipped " + skipped + " symlink(s) leaving the modules tree or special file(s)");
                }
                if (!Files.exists(modCopy.resolve("modules.dep"))) {
                    ModuleTree.depmod(busybox, modRoot, modVersion, toolTimeout, out);
                }
                Files.move(modCopy, into.resolve("modules"), StandardCopyOption.ATOMIC_MOVE);

                out.report(STAGE, "building initramfs (busybox + boot modules)");
                if (staged.initrd() != null) {
                    out.report(STAGE, "ignoring staged " + rel(src, staged.initrd()) + ": banger builds its own initramfs from the modules");
                }
                ModuleTree tree = new ModuleTree(into.resolve("modules"), toolTimeout);
                List<String> loaded = new BaseInitramfsBuilder(busybox, toolTimeout).build(tree, scratch, into.resolve("initrd.img"));
                out.report(STAGE, "initramfs modules: " + String.join(" ", loaded));
            } else if (staged.initrd() != null) {
                Files.copy(staged.initrd(), into.resolve("initrd.img"));
                out.report(STAGE, "no modules found; copied " + rel(src, staged.initrd())
                        + " as initrd.img: banger's /init expects busybox (sh, insmod, switch_root) in it");
            } else {
                out.report(STAGE, "no modules and no initrd found: imported without initrd.img; "
                        + "this kernel cannot boot with banger's init until it has one");
            }
            FileTrees.deleteRecursively(scratch);
            return new KernelStaging.Fields(staged.distro(), staged.arch(), staged.version(), Sha256.of(vmlinux), "dir:" + src);
        });
        out.report(STAGE, "imported " + name + " (" + staged.version() + ")");
        return imported;
    }

    // ---- locating things in the staged directory ----

    static Staged resolve(Path src) throws IOException {
        Path root = src.toRealPath();
        Path meta = src.resolve(METADATA);
        if (Files.exists(meta, LinkOption.NOFOLLOW_LINKS)) {
            return fromMetadata(src, root, meta);
        }
        return fromGlob(src, root);
    }

    private static Staged fromMetadata(Path src, Path root, Path meta) throws IOException {
        Path real = meta.toRealPath();
        if (!real.startsWith(root) || !Files.isRegularFile(real)) {
            throw RpcException.invalid(METADATA + " in " + src + " is not a regular file inside the directory");
        }
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(real.toFile());
        } catch (JsonProcessingException e) {
            throw RpcException.invalid(METADATA + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw RpcException.invalid(METADATA + " must hold a JSON object");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!METADATA_FIELDS.contains(f)) {
                throw RpcException.invalid(METADATA + ": unknown field \"" + printable(f) + "\" (known: kernel, initrd, modules, kernel_version, distro, arch)");
            }
        }
        String kernelField = string(n, "kernel");
        if (kernelField == null) {
            throw RpcException.invalid(METADATA + ": field \"kernel\" is required");
        }
        Path kernel = inside(src, root, "kernel", kernelField, false);
        String initrdField = string(n, "initrd");
        Path initrd = initrdField == null ? null : inside(src, root, "initrd", initrdField, false);
        String modulesField = string(n, "modules");
        Path modules = modulesField == null ? null : inside(src, root, "modules", modulesField, true);

        String version = string(n, "kernel_version");
        if (version != null) {
            checkValue("kernel_version", version, KernelFiles.VERSION);
        } else {
            version = versionOf(kernel, modules);
        }
        String distro = string(n, "distro");
        if (distro != null) {
            checkValue("distro", distro, LABEL);
        }
        String arch = string(n, "arch");
        if (arch != null) {
            checkValue("arch", arch, LABEL);
        }
        return new Staged(kernel, initrd, modules, version, distro == null ? "unknown" : distro,
                arch == null ? "x86_64" : arch, METADATA);
    }

    private static String string(JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw RpcException.invalid(METADATA + ": field \"" + field + "\" must be a string");
        }
        return v.asText();
    }

    private static void checkValue(String field, String value, Pattern allowed) throws IOException {
        if (!allowed.matcher(value).matches()) {
            throw RpcException.invalid(METADATA + ": field \"" + field + "\" has an unexpected value: " + printable(value));
        }
    }

    /** A metadata path: relative, inside src lexically and after symlinks, and of the expected kind. Returns its real path. */
    private static Path inside(Path src, Path root, String field, String value, boolean directory) throws IOException {
        String what = METADATA + ": field \"" + field + "\" ";
        if (value.isBlank()) {
            throw RpcException.invalid(what + "must not be empty");
        }
        Path p;
        try {
            p = Path.of(value);
        } catch (InvalidPathException e) {
            throw RpcException.invalid(what + "is not a valid path: " + printable(value));
        }
        if (p.isAbsolute()) {
            throw RpcException.invalid(what + "must be a path relative to the directory, not " + printable(value));
        }
        Path lexical = src.resolve(p).normalize();
        if (!lexical.startsWith(src) || lexical.equals(src)) {
            throw RpcException.invalid(what + "points outside the directory: " + printable(value));
        }
        if (!Files.exists(lexical)) {
            throw RpcException.invalid(what + "names a missing " + (directory ? "directory" : "file") + ": " + printable(value));
        }
        Path real = lexical.toRealPath();
        if (!real.startsWith(root)) {
            throw RpcException.invalid(what + "resolves outside the directory through a symlink: " + printable(value));
        }
        if (directory ? !Files.isDirectory(real) : !Files.isRegularFile(real)) {
            throw RpcException.invalid(what + "is not a " + (directory ? "directory" : "regular file") + ": " + printable(value));
        }
        return real;
    }

    private static Staged fromGlob(Path src, Path root) throws IOException {
        Path boot = src.resolve("boot");
        List<List<Path>> tiers = List.of(
                candidates(boot, f -> f.startsWith("vmlinux-"), root, false),
                candidates(boot, f -> f.startsWith("vmlinuz-"), root, false),
                candidates(src, f -> f.equals("vmlinux"), root, false),
                candidates(src, f -> f.startsWith("vmlinuz-"), root, false),
                candidates(src, f -> f.equals("vmlinuz"), root, false));
        Path kernel = tiers.stream().filter(t -> !t.isEmpty()).findFirst().flatMap(KernelDirImporter::newest)
                .orElseThrow(() -> RpcException.invalid("no kernel found in " + src
                        + " (expected " + METADATA + ", boot/vmlinux-*, boot/vmlinuz-* or vmlinux)"));
        // The staged file name carries the version; read through the real path checked by candidates().
        String suffix = suffix(kernel);

        List<Path> moduleDirs = candidates(src.resolve("lib/modules"), KernelFiles::isVersion, root, true);
        Path modules = moduleDirs.stream().filter(p -> p.getFileName().toString().equals(suffix)).findFirst()
                .or(() -> newest(moduleDirs)).orElse(null);

        List<Path> initrds = candidates(boot, f -> f.startsWith("initramfs-") || f.startsWith("initrd"), root, false);
        if (initrds.isEmpty()) {
            initrds = candidates(src, f -> f.equals("initrd.img"), root, false);
        }
        // Prefer the initrd built for this kernel, else the newest-looking name.
        Path initrd = null;
        for (Path p : initrds) {
            if (suffix != null && p.getFileName().toString().contains(suffix)) {
                initrd = p;
            }
        }
        if (initrd == null) {
            initrd = newest(initrds).orElse(null);
        }

        String version = versionOf(kernel, modules);
        String how = "directory layout";
        if (suffix != null && modules != null && !modules.getFileName().toString().equals(suffix)) {
            how += " (warning: modules " + modules.getFileName() + " do not match kernel " + suffix + ")";
        }
        return new Staged(kernel.toRealPath(), initrd == null ? null : initrd.toRealPath(),
                modules == null ? null : modules.toRealPath(), version, "unknown", "x86_64", how);
    }

    /**
     * Regular files (or, with directory, directories) in dir whose name matches, as their staged (not real) paths;
     * each one must resolve inside root. Empty for a missing dir.
     */
    private static List<Path> candidates(Path dir, Predicate<String> name, Path root, boolean directory) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (!name.test(p.getFileName().toString())) {
                    continue;
                }
                if (directory ? !Files.isDirectory(p) : !Files.isRegularFile(p)) {
                    continue;
                }
                if (!p.toRealPath().startsWith(root)) {
                    throw RpcException.invalid(p + " resolves outside the directory through a symlink");
                }
                out.add(p);
            }
        }
        return out;
    }

    private static Optional<Path> newest(List<Path> paths) {
        return paths.stream().max(Comparator.comparing(p -> p.getFileName().toString(), KernelDirImporter::compareVersions));
    }

    /** The vmlinu[xz]-VERSION suffix when it is a plausible version, else null. */
    private static String suffix(Path kernel) {
        Matcher m = KERNEL_FILE.matcher(kernel.getFileName().toString());
        return m.matches() && KernelFiles.isVersion(m.group(1)) ? m.group(1) : null;
    }

    private static String versionOf(Path kernel, Path modules) {
        String s = suffix(kernel);
        if (s != null) {
            return s;
        }
        if (modules != null && KernelFiles.isVersion(modules.getFileName().toString())) {
            return modules.getFileName().toString();
        }
        return "unknown";
    }

    /** Numeric-aware: runs of digits compare as numbers, so 6.10.0 is newer than 6.9.12 and 6.1.0-13 newer than 6.1.0-9. */
    static int compareVersions(String a, String b) {
        Matcher ma = VERSION_TOKEN.matcher(a);
        Matcher mb = VERSION_TOKEN.matcher(b);
        while (true) {
            boolean ha = ma.find();
            boolean hb = mb.find();
            if (!ha || !hb) {
                return ha ? 1 : hb ? -1 : a.compareTo(b);
            }
            String ta = ma.group();
            String tb = mb.group();
            boolean da = Character.isDigit(ta.charAt(0));
            boolean db = Character.isDigit(tb.charAt(0));
            int c;
            if (da && db) {
                c = new BigInteger(ta).compareTo(new BigInteger(tb));
            } else if (da != db) {
                c = da ? 1 : -1;
            } else {
                c = ta.compareTo(tb);
            }
            if (c != 0) {
                return c;
            }
        }
    }

    // ---- installing ----

    private void installKernel(Path kernel, Path vmlinux, ProgressSink out) throws IOException, InterruptedException {
        String file = kernel.getFileName().toString();
        if (KernelFiles.isElf64(kernel)) {
            out.report(STAGE, "copying ELF kernel " + file);
            Files.copy(kernel, vmlinux);
            return;
        }
        if (file.startsWith("vmlinux")) {
            throw RpcException.invalid(file + " is not a 64-bit ELF kernel (a compressed kernel should be named vmlinuz*)");
        }
        out.report(STAGE, "extracting vmlinux from " + file);
        new VmlinuxExtractor(toolTimeout).extract(kernel, vmlinux);
    }

    /**
     * Copies a modules tree without following symlinks. A relative symlink that resolves inside the tree is
     * recreated as the same link; absolute links, links that resolve outside (or nowhere) and special files are
     * skipped. Returns how many were skipped.
     */
    static int copyTree(Path from, Path to) throws IOException {
        Path root = from.toRealPath();
        int[] skipped = {0};
        Files.createDirectories(to.getParent());
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectory(to.resolve(root.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path dest = to.resolve(root.relativize(file).toString());
                if (attrs.isRegularFile()) {
                    Files.copy(file, dest, LinkOption.NOFOLLOW_LINKS);
                } else if (attrs.isSymbolicLink() && linkStaysInside(file, root)) {
                    Files.createSymbolicLink(dest, Files.readSymbolicLink(file));
                } else {
                    skipped[0]++;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return skipped[0];
    }

    private static boolean linkStaysInside(Path link, Path root) throws IOException {
        Path target = Files.readSymbolicLink(link);
        if (target.isAbsolute() || !link.getParent().resolve(target).normalize().startsWith(root)) {
            return false;
        }
        try {
            return link.toRealPath().startsWith(root);
        } catch (IOException dangling) {
            return false;
        }
    }

    private static String rel(Path src, Path p) {
        try {
            Path real = src.toRealPath();
            if (p.startsWith(real)) {
                return real.relativize(p).toString();
            }
        } catch (IOException ignored) {
            // fall through
        }
        return p.startsWith(src) ? src.relativize(p).toString() : p.toString();
    }

    /** Keeps errors one line even when the staged metadata holds control characters. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> b.append(c >= 0x20 && c < 0x7F ? Character.toString(c) : String.format("\\u%04x", c)));
        return b.toString();
    }
}
