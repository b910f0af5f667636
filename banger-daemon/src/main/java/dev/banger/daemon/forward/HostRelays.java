package dev.banger.daemon.forward;

import dev.banger.core.model.PortForward;
import dev.banger.daemon.vmm.PortBusyException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The port forwards bangerd serves itself, by VM: a bridged guest has its own address on the host,
 * so a forward is a host socket whose traffic bangerd carries to that address (no VMM is in the
 * path, and no privilege is needed beyond binding the host port). They live in bangerd's memory:
 * they end with it, and the restarted bangerd opens them again for the VMs still running.
 */
public final class HostRelays {
    private final Duration udpIdle;
    private final int maxTcpConnections;
    private final Map<String, Map<String, Relay>> byVm = new HashMap<>();

    public HostRelays() {
        this(UdpRelay.DEFAULT_IDLE, TcpRelay.MAX_CONNECTIONS);
    }

    HostRelays(Duration udpIdle, int maxTcpConnections) {
        this.udpIdle = udpIdle;
        this.maxTcpConnections = maxTcpConnections;
    }

    /**
     * Opens {@code forward} to {@code guestIp}: the host port is bound before this returns. A port
     * something else holds is a {@link PortBusyException}; a forward the VM already has is a no-op.
     */
    public synchronized void open(String vmId, String guestIp, PortForward forward) throws IOException {
        Map<String, Relay> relays = byVm.computeIfAbsent(vmId, id -> new LinkedHashMap<>());
        if (relays.containsKey(forward.hostSide())) return;
        InetSocketAddress host = new InetSocketAddress(InetAddress.getByName(forward.hostIp()), forward.hostPort());
        InetSocketAddress guest = new InetSocketAddress(InetAddress.getByName(guestIp), forward.guestPort());
        try {
            Relay relay = forward.protocol() == PortForward.Protocol.TCP
                    ? TcpRelay.open(forward, host, guest, maxTcpConnections)
                    : UdpRelay.open(forward, host, guest, udpIdle);
            relays.put(forward.hostSide(), relay);
        } catch (BindException e) {
            if (relays.isEmpty()) byVm.remove(vmId);
            throw new PortBusyException("host port " + forward.hostSide() + " is in use");
        } catch (IOException | RuntimeException e) {
            if (relays.isEmpty()) byVm.remove(vmId);
            throw e;
        }
    }

    /** Closes the VM's forward from {@code forward}'s host side; false when there was none. */
    public synchronized boolean close(String vmId, PortForward forward) {
        Map<String, Relay> relays = byVm.get(vmId);
        Relay relay = relays == null ? null : relays.remove(forward.hostSide());
        if (relay == null) return false;
        relay.close();
        if (relays.isEmpty()) byVm.remove(vmId);
        return true;
    }

    /** Closes every forward of the VM (its stop, or a failed start); a no-op when it has none. */
    public synchronized void closeAll(String vmId) {
        Map<String, Relay> relays = byVm.remove(vmId);
        if (relays != null) relays.values().forEach(Relay::close);
    }

    /** The VMs with a forward open now. */
    public synchronized Set<String> vmIds() {
        return Set.copyOf(byVm.keySet());
    }

    /** The VM's forwards open now, in the order they were opened. */
    public synchronized List<PortForward> forwardsOf(String vmId) {
        Map<String, Relay> relays = byVm.get(vmId);
        return relays == null ? List.of() : relays.values().stream().map(Relay::forward).toList();
    }

    /** TCP connections and UDP sessions the VM's forwards carry now. */
    public synchronized int openConnections(String vmId) {
        Map<String, Relay> relays = byVm.get(vmId);
        return relays == null ? 0 : relays.values().stream().mapToInt(Relay::openConnections).sum();
    }
}
