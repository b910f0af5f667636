package dev.banger.daemon.vmm;

import dev.banger.core.model.PortForward;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** Everything a driver needs to boot one VM. Paths are absolute and already created. */
public record LaunchSpec(
        String vmId,
        Path kernel,
        Path initrd,
        Path rootDisk,
        String rootFormat,
        Path workDisk,
        Sockets sockets,
        Path consoleLog,
        Path pidFile,
        int vcpu,
        int memoryMib,
        Network network,
        Accel accel) {

    public LaunchSpec {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(rootDisk, "rootDisk");
        Objects.requireNonNull(sockets, "sockets");
    }

    /** Control channels; their paths also identify the VMM process (they appear in its argv). */
    public record Sockets(Path qmp, Path agent) {
        /** The serial console's socket, beside the QMP one: {@code <id>.qmp} → {@code <id>.console}. */
        public Path console() {
            String name = qmp.getFileName().toString();
            int dot = name.lastIndexOf('.');
            return qmp.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".console");
        }
    }

    /**
     * The guest gets {@code guestIp} inside a private /24 whose host side is {@code gateway}. Without
     * a {@code tap}: rootless user networking, SSH forwarded from 127.0.0.1:{@code sshPort} and each of
     * {@code forwards} from its host address and port to the guest's. With one: the guest's NIC is
     * that tap on banger's bridge (opened by the VMM as the tap's owner), with MAC {@code mac}; no
     * forwards, the guest's address is reachable as it is.
     */
    public record Network(String subnet, String gateway, String dns, String guestIp, int prefixLength, int sshPort,
                          List<PortForward> forwards, String tap, String mac) {
        public Network {
            forwards = forwards == null ? List.of() : List.copyOf(forwards);
            if (tap != null && (mac == null || !mac.matches("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"))) {
                throw new IllegalArgumentException("a tap needs a MAC like 52:54:00:12:34:56, got " + mac);
            }
        }

        public Network(String subnet, String gateway, String dns, String guestIp, int prefixLength, int sshPort) {
            this(subnet, gateway, dns, guestIp, prefixLength, sshPort, List.of(), null, null);
        }

        public Network withSshPort(int port) {
            return new Network(subnet, gateway, dns, guestIp, prefixLength, port, forwards, tap, mac);
        }

        public Network withForwards(List<PortForward> added) {
            return new Network(subnet, gateway, dns, guestIp, prefixLength, sshPort, added, tap, mac);
        }

        public Network withTap(String tapName, String macAddress) {
            return new Network(subnet, gateway, dns, guestIp, prefixLength, sshPort, forwards, tapName, macAddress);
        }
    }
}
