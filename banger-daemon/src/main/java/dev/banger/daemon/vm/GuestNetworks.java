package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.host.HostOperations;
import dev.banger.roothelper.api.BridgeInfo;
import java.io.IOException;

/**
 * The two networks a guest can be on, and which one a VM uses: QEMU's user network (rootless; the
 * configured {@code subnet}, gateway .1, QEMU's resolver .3) or banger's bridge (the subnet the root
 * helper reports from {@code ensure_bridge}; gateway and resolver are the bridge's address). A VM's
 * network is fixed at create ({@code runtime.network}); the daemon's {@code network} setting picks
 * it for new VMs.
 */
public final class GuestNetworks {
    /** One /24: {@code prefix} is its first three octets. */
    record Subnet(String mode, String cidr, String prefix, String gateway, String dns) {
        static Subnet of(String mode, String cidr, String gateway, String dns) {
            if (!cidr.endsWith(".0/24")) throw new IllegalArgumentException("not a /24 written as its network: " + cidr);
            return new Subnet(mode, cidr, cidr.substring(0, cidr.lastIndexOf('.')), gateway, dns);
        }

        boolean contains(String ip) {
            return ip != null && ip.startsWith(prefix + ".");
        }
    }

    private final DaemonConfig config;
    private final HostOperations host;
    private volatile BridgeInfo bridge;

    public GuestNetworks(DaemonConfig config, HostOperations host) {
        this.config = config;
        this.host = host;
    }

    /** The mode new VMs get ({@code runtime.network}). */
    String modeForNewVms() {
        return config.networking().bridged() ? VmRuntime.BRIDGE_NETWORK : VmRuntime.USER_NETWORK;
    }

    Subnet forNewVms() throws IOException {
        return subnet(modeForNewVms());
    }

    Subnet of(VmRecord vm) throws IOException {
        return subnet(vm.runtime().networkMode());
    }

    private Subnet subnet(String mode) throws IOException {
        if (VmRuntime.BRIDGE_NETWORK.equals(mode)) return subnet(bridge != null ? bridge : ensureBridge());
        return Subnet.of(VmRuntime.USER_NETWORK, config.subnet(), config.gateway(), config.dns());
    }

    Subnet subnet(BridgeInfo b) {
        return Subnet.of(VmRuntime.BRIDGE_NETWORK, b.subnet(), b.address(), b.address());
    }

    /** Creates or checks the bridge (idempotent, every bridged start calls it) and remembers what the host reported. */
    BridgeInfo ensureBridge() throws IOException {
        BridgeInfo b = host.ensureBridge();
        bridge = b;
        return b;
    }
}
