package dev.banger.daemon.api;

import dev.banger.daemon.kernel.KernelEntry;
import java.time.Instant;

/** Wire shape of a kernel entry: the manifest fields plus where its files are. */
record KernelView(String name, String distro, String arch, String kernelVersion, String sha256, String source,
                  Instant importedAt, String vmlinux, String initrd, String modules) {
    static KernelView of(KernelEntry e) {
        return new KernelView(e.name(), e.distro(), e.arch(), e.kernelVersion(), e.sha256(), e.source(), e.importedAt(),
                e.vmlinux().toString(), e.initrd().toString(), e.modulesDir().toString());
    }
}
