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
     * Rootless user networking: the guest gets {@code guestIp} inside a private /24 whose
     * host side is {@code gateway}; SSH is forwarded from 127.0.0.1:{@code sshPort}, and each of
     * {@code forwards} from its host address and port to the guest's.
     */
    public record Network(String subnet, String gateway, String dns, String guestIp, int prefixLength, int sshPort,
                          List<PortForward> forwards) {
        public Network {
            forwards = forwards == null ? List.of() : List.copyOf(forwards);
        }

        public Network(String subnet, String gateway, String dns, String guestIp, int prefixLength, int sshPort) {
            this(subnet, gateway, dns, guestIp, prefixLength, sshPort, List.of());
        }

        public Network withSshPort(int port) {
            return new Network(subnet, gateway, dns, guestIp, prefixLength, port, forwards);
        }

        public Network withForwards(List<PortForward> added) {
            return new Network(subnet, gateway, dns, guestIp, prefixLength, sshPort, added);
        }
    }
}
