package dev.banger.daemon.kernel;

import java.nio.file.Path;
import java.time.Instant;

/** One kernel in the catalog: its manifest fields plus the directory holding vmlinux, initrd.img and modules/. */
public record KernelEntry(String name, String distro, String arch, String kernelVersion, String sha256,
                          String source, Instant importedAt, Path dir) {

    public Path vmlinux() {
        return dir.resolve("vmlinux");
    }

    public Path initrd() {
        return dir.resolve("initrd.img");
    }

    public Path modulesDir() {
        return dir.resolve("modules");
    }
}
