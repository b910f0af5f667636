package dev.banger.daemon.kernel;

import dev.banger.daemon.host.HostCommand;

import com.github.luben.zstd.ZstdInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** A kernel's lib/modules/<version> tree: finds modules by name and yields them as plain .ko files. */
final class ModuleTree {
    /**
     * Writes lib/modules/VERSION/modules.dep under root with busybox depmod, so the guest can
     * modprobe later. Not needed to boot, so a failure is reported as progress, not thrown.
     */
    static void depmod(Path busybox, Path root, String version, Duration timeout, dev.banger.core.ProgressSink progress)
            throws InterruptedException {
        try {
            HostCommand.of(List.of(busybox.toString(), "depmod", "-b", root.toString(), version), timeout).run();
        } catch (IOException e) {
            progress.report("import_kernel", "depmod skipped: " + e.getMessage());
        }
    }

    private final Map<String, Path> byName = new HashMap<>();
    private final Set<String> builtin = new HashSet<>();
    private final Duration toolTimeout;

    ModuleTree(Path versionDir, Duration toolTimeout) throws IOException {
        this.toolTimeout = toolTimeout;
        Path kernel = versionDir.resolve("kernel");
        if (!Files.isDirectory(kernel)) {
            throw new IOException("no kernel/ directory under " + versionDir);
        }
        try (Stream<Path> files = Files.walk(kernel)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String n = moduleName(p.getFileName().toString());
                if (n != null) {
                    byName.putIfAbsent(n, p);
                }
            }
        }
        Path builtinList = versionDir.resolve("modules.builtin");
        if (Files.isRegularFile(builtinList)) {
            for (String line : Files.readAllLines(builtinList)) {
                String n = moduleName(line.substring(line.lastIndexOf('/') + 1).strip());
                if (n != null) {
                    builtin.add(n);
                }
            }
        }
    }

    private static String moduleName(String file) {
        for (String ext : List.of(".ko", ".ko.xz", ".ko.zst")) {
            if (file.endsWith(ext)) {
                return file.substring(0, file.length() - ext.length());
            }
        }
        return null;
    }

    boolean has(String name) {
        return byName.containsKey(name);
    }

    /** Compiled into the kernel (e.g. ext4 in Debian's cloud flavour): nothing to load. */
    boolean isBuiltin(String name) {
        return builtin.contains(name) && !byName.containsKey(name);
    }

    /** Writes the module as an uncompressed .ko to out: insmod in busybox cannot read compressed modules. */
    void writePlain(String name, Path out) throws IOException, InterruptedException {
        Path src = byName.get(name);
        if (src == null) {
            throw new IOException("kernel module " + name + " not found");
        }
        String f = src.getFileName().toString();
        if (f.endsWith(".ko.xz")) {
            HostCommand.of(List.of("xz", "-dc"), toolTimeout).stdin(src).stdoutTo(out).run();
        } else if (f.endsWith(".ko.zst")) {
            try (InputStream in = new ZstdInputStream(Files.newInputStream(src)); OutputStream os = Files.newOutputStream(out)) {
                in.transferTo(os);
            }
        } else {
            Files.copy(src, out);
        }
    }
}
