package dev.banger.daemon.doctor;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The root helper: bangerd does not use one yet, so without a configured socket the answer is that
 * VMs use rootless networking. With one, the socket must exist and accept a connection, and the helper's
 * version must be bangerd's.
 */
final class RootHelperCheck implements Check {
    private final Optional<Path> socket;

    RootHelperCheck(Optional<Path> socket) {
        this.socket = socket;
    }

    @Override
    public String name() {
        return "root_helper";
    }

    @Override
    public Finding run(HostProbe host) {
        if (socket.isEmpty()) return Finding.ok("not installed: VMs use rootless networking (QEMU user networking)", null);
        Path s = socket.get();
        if (!host.exists(s)) {
            return Finding.fail("configured at " + s + " but the socket does not exist", null, "sudo systemctl start banger-roothelper.service");
        }
        if (!host.connects(s)) {
            return Finding.fail("socket " + s + " refuses connections", null, "sudo systemctl restart banger-roothelper.service");
        }
        String mine = dev.banger.core.BangerVersion.VERSION;
        // A helper left running across an upgrade speaks an older protocol: the fix is reinstalling and restarting it.
        String fix = "sudo banger system install && sudo banger system restart";
        return host.helperVersion(s)
                .map(v -> v.equals(mine) ? Finding.ok("reachable at " + s + ", version " + v, null)
                        : Finding.warn("reachable at " + s + " but its version is " + v + ", bangerd's is " + mine, null, fix))
                .orElseGet(() -> Finding.warn("reachable at " + s + " but it does not answer the version operation (older than " + mine + "?)",
                        null, fix));
    }
}
