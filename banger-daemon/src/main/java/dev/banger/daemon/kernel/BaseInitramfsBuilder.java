package dev.banger.daemon.kernel;

import dev.banger.daemon.host.HostCommand;

import dev.banger.daemon.boot.CpioWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds a kernel's base initrd.img: busybox, its applet links and the boot modules, as an UNCOMPRESSED
 * newc cpio (decompressing an initramfs costs real time under TCG). It has no /init: the per-VM layer
 * appended at VM start supplies one, so a new init script or agent needs no kernel re-import.
 */
final class BaseInitramfsBuilder {
    private static final List<String> EMPTY_DIRS = List.of("proc", "sys", "dev", "newroot", "run", "tmp");

    private final Path busybox;
    private final Duration toolTimeout;

    BaseInitramfsBuilder(Path busybox, Duration toolTimeout) {
        this.busybox = busybox;
        this.toolTimeout = toolTimeout;
    }

    /** Returns the module basenames written to /etc/banger/modules, in load order. */
    List<String> build(ModuleTree modules, Path scratch, Path out) throws IOException, InterruptedException {
        List<String> load = new ArrayList<>();
        for (String m : InitramfsModules.REQUIRED) {
            if (modules.has(m)) {
                load.add(m);
            } else if (!modules.isBuiltin(m)) {
                throw new IOException("required kernel module " + m + " is neither in the package nor built in");
            }
        }
        for (String m : InitramfsModules.OPTIONAL) {
            if (modules.has(m)) {
                load.add(m);
            }
        }
        Set<String> applets = applets();
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 16);
             CpioWriter cpio = new CpioWriter(os, 1)) {
            cpio.dir("bin", 0755);
            cpio.file("bin/busybox", 0755, busybox);
            for (String a : applets) {
                cpio.symlink("bin/" + a, "busybox");
            }
            cpio.dir("lib", 0755);
            cpio.dir("lib/modules", 0755);
            for (String m : load) {
                Path ko = scratch.resolve(m + ".ko");
                modules.writePlain(m, ko);
                cpio.file("lib/modules/" + m + ".ko", 0644, ko);
                Files.delete(ko);
            }
            cpio.dir("etc", 0755);
            cpio.dir("etc/banger", 0755);
            StringBuilder list = new StringBuilder();
            load.forEach(m -> list.append(m).append('\n'));
            cpio.file("etc/banger/modules", 0644, list.toString().getBytes(StandardCharsets.UTF_8));
            for (String d : EMPTY_DIRS) {
                cpio.dir(d, d.equals("tmp") ? 01777 : 0755);
            }
        }
        return load;
    }

    private Set<String> applets() throws IOException, InterruptedException {
        Set<String> out = new LinkedHashSet<>();
        for (String line : HostCommand.of(List.of(busybox.toString(), "--list"), toolTimeout).run().stdout().split("\n")) {
            String a = line.strip();
            // Applet names become file names in the archive; refuse anything that could escape bin/.
            if (!a.isEmpty() && !a.equals("busybox") && a.matches("[A-Za-z0-9._\\[-]+") && !a.startsWith(".")) {
                out.add(a);
            }
        }
        if (!out.contains("sh") || !out.contains("insmod") || !out.contains("switch_root")) {
            throw new IOException(busybox + " lacks sh, insmod or switch_root applets");
        }
        return out;
    }
}
