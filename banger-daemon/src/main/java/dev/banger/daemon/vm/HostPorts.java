package dev.banger.daemon.vm;

import dev.banger.core.model.PortForward;
import dev.banger.core.rpc.RpcException;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host side of port forwards: which host ports bangerd may bind (privileged ones only as root)
 * and whether one is free now. Free is checked by binding it for a moment, the only true answer;
 * what is free now may be taken before the VMM binds it, and the VMM's own refusal is then the answer.
 */
final class HostPorts {
    /** The lowest port an unprivileged process may bind; 0 when bangerd runs as root. */
    private final int unprivilegedStart;

    HostPorts(int unprivilegedStart) {
        this.unprivilegedStart = unprivilegedStart;
    }

    /** This bangerd: root binds anything; otherwise the kernel's ip_unprivileged_port_start (1024 unless changed). */
    static HostPorts ofThisProcess() {
        try {
            if ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0) return new HostPorts(0);
            return new HostPorts(Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start")).strip()));
        } catch (IOException | RuntimeException e) {
            return new HostPorts(1024);
        }
    }

    /** Invalid input: a port this bangerd may not bind. */
    void checkAllowed(PortForward f) {
        if (f.hostPort() < unprivilegedStart) {
            throw RpcException.invalid("host port " + f.hostPort() + " is privileged (below " + unprivilegedStart
                    + ") and bangerd does not run as root");
        }
    }

    /** Conflict when something on the host holds the port; invalid when the address is not this host's. */
    void checkFree(PortForward f) {
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(InetAddress.getByName(f.hostIp()), f.hostPort());
        } catch (IOException e) {
            throw RpcException.invalid("host address " + f.hostIp() + ": " + e.getMessage());
        }
        if (!isThisHosts(address.getAddress())) throw RpcException.invalid("host address " + f.hostIp() + " is not an address of this host");
        try {
            if (f.protocol() == PortForward.Protocol.TCP) {
                try (ServerSocket s = new ServerSocket()) {
                    s.bind(address);
                }
            } else {
                try (DatagramSocket s = new DatagramSocket(null)) {
                    s.bind(address);
                }
            }
        } catch (BindException e) {
            throw RpcException.conflict("host port " + f.hostSide() + " is in use");
        } catch (IOException e) {
            throw RpcException.conflict("host port " + f.hostSide() + " cannot be bound: " + e.getMessage());
        }
    }

    /**
     * The wildcard, loopback (all of 127/8 is this host's on Linux) or an address on one of this
     * network namespace's interfaces. Asked of the interfaces rather than read from a failed bind's
     * message, whose wording is the JDK's and the C library's.
     */
    static boolean isThisHosts(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress()) return true;
        try {
            return java.net.NetworkInterface.getByInetAddress(a) != null;
        } catch (java.net.SocketException e) {
            return false;
        }
    }
}
