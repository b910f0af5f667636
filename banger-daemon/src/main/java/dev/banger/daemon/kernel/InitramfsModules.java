package dev.banger.daemon.kernel;

import java.util.ArrayList;
import java.util.List;

/** Which kernel modules the base initramfs carries, in the insmod order that worked on this host (HOST-NOTES). */
final class InitramfsModules {
    static final List<String> REQUIRED = List.of(
            "virtio_ring", "virtio", "virtio_mmio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
            "virtio_blk", "failover", "net_failover", "virtio_net", "virtio_console",
            "crc16", "mbcache", "jbd2", "crc32c_generic", "ext4");
    /** vsock is not needed to boot; carry it when the kernel has it so the agent may use it later. */
    static final List<String> OPTIONAL = List.of("vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport");

    private InitramfsModules() { }

    static List<String> all() {
        List<String> all = new ArrayList<>(REQUIRED);
        all.addAll(OPTIONAL);
        return all;
    }
}
