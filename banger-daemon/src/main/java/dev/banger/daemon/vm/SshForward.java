package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * The first VM feature: the guest's SSH port forwarded from a free 127.0.0.1 port, which the launch
 * records on the row. Nothing to clean up: the forward lives and dies with the VMM. A bridged VM
 * needs none: its SSH is at its own address.
 */
public final class SshForward implements VmFeature {
    @Override
    public String name() {
        return "ssh_forward";
    }

    @Override
    public void contribute(VmRecord vm, MachineDraft machine) throws IOException {
        if (vm.runtime().bridged()) return;
        machine.network(machine.network().withSshPort(freeLoopbackPort()));
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }
}
