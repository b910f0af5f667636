package dev.banger.daemon.doctor;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The VMM driver in use and whether its binaries are there. Without QEMU (or qemu-img, which makes
 * every VM's root overlay) no VM can start: this is the check vm create's preflight runs.
 */
final class VmmDriverCheck implements Check {
    static final String QEMU_FIX = "sudo apt-get install --no-install-recommends qemu-system-x86 qemu-utils";

    private final String driver;
    private final String qemuBinary;

    VmmDriverCheck(String driver, String qemuBinary) {
        this.driver = driver;
        this.qemuBinary = qemuBinary;
    }

    @Override
    public String name() {
        return "vmm_driver";
    }

    @Override
    public boolean blocksCreate() {
        return true;
    }

    @Override
    public Finding run(HostProbe host) {
        Optional<Path> firecracker = host.tool("firecracker");
        String fc = firecracker.map(p -> "firecracker found at " + p + " (banger has no firecracker driver yet)")
                .orElse("firecracker not found");
        if (!driver.equals("qemu")) return Finding.ok("driver " + driver, fc);
        Optional<Path> qemu = host.tool(qemuBinary).filter(host::exists);
        if (qemu.isEmpty()) {
            return Finding.fail("QEMU (" + qemuBinary + ") not found: no VM can start", fc, QEMU_FIX);
        }
        HostProbe.Output v = host.run(java.util.List.of(qemu.get().toString(), "--version"));
        String version = v.ok() ? v.stdout().lines().findFirst().orElse("").strip() : "";
        if (!v.ok() || version.isEmpty()) {
            return Finding.fail(qemu.get() + " --version failed: " + firstLine(v.stderr()), fc, QEMU_FIX);
        }
        if (host.tool("qemu-img").isEmpty()) {
            return Finding.fail("qemu-img not found: VM root disks (qcow2 overlays) cannot be made", version + "; " + fc,
                    "sudo apt-get install --no-install-recommends qemu-utils");
        }
        return Finding.ok("QEMU driver: " + version + (firecracker.isPresent() ? "" : " (firecracker not found)"),
                qemu.get() + "; " + fc);
    }

    static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("").strip();
    }
}
