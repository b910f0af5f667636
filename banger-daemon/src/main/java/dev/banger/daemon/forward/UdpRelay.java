package dev.banger.daemon.forward;

import dev.banger.core.model.PortForward;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A UDP forward. UDP has no connections, so each client address gets a session: its own socket
 * towards the guest, so that the guest's replies to that socket go back to that client alone.
 * A session with no datagram in either direction for {@code idle} is closed; at most
 * {@link #MAX_SESSIONS} are open, and a datagram from a new client beyond that is dropped (as a
 * full NAT table would), not allowed to push out a live session.
 */
final class UdpRelay extends Relay {
    private static final Logger LOG = LoggerFactory.getLogger(UdpRelay.class);
    static final int MAX_SESSIONS = 256;
    static final Duration DEFAULT_IDLE = Duration.ofSeconds(60);
    private static final int MAX_DATAGRAM = 65_535;

    private final DatagramSocket hostSocket;
    private final InetSocketAddress guest;
    private final Duration idle;
    private final Map<SocketAddress, Session> sessions = new ConcurrentHashMap<>();

    private UdpRelay(PortForward forward, DatagramSocket hostSocket, InetSocketAddress guest, Duration idle) {
        super(forward);
        this.hostSocket = hostSocket;
        this.guest = guest;
        this.idle = idle;
    }

    /** Binds the host side now (a busy port is the caller's {@link java.net.BindException}) and starts receiving. */
    static UdpRelay open(PortForward forward, InetSocketAddress host, InetSocketAddress guest, Duration idle) throws IOException {
        DatagramSocket socket = new DatagramSocket(null);
        try {
            socket.bind(host);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        UdpRelay relay = new UdpRelay(forward, socket, guest, idle);
        relay.listen(relay::receiveLoop);
        return relay;
    }

    @Override
    int openConnections() {
        return sessions.size();
    }

    private void receiveLoop() {
        byte[] buffer = new byte[MAX_DATAGRAM];
        while (!closed) {
            DatagramPacket in = new DatagramPacket(buffer, buffer.length);
            try {
                hostSocket.receive(in);
            } catch (IOException e) {
                if (!closed) LOG.warn("forward {}: receive failed, no longer listening: {}", forward, e.getMessage());
                return;
            }
            Session session = sessionFor(in.getSocketAddress());
            if (session != null) session.toGuest(in);
        }
    }

    private Session sessionFor(SocketAddress client) {
        Session existing = sessions.get(client);
        if (existing != null) return existing;
        if (sessions.size() >= MAX_SESSIONS) {
            LOG.debug("forward {}: {} sessions open, datagram from {} dropped", forward, MAX_SESSIONS, client);
            return null;
        }
        try {
            Session session = new Session(client);
            sessions.put(client, session);
            Thread.ofVirtual().name("relay " + forward + " " + client).start(session::fromGuestLoop);
            return session;
        } catch (IOException e) {
            LOG.debug("forward {}: no socket towards the guest for {}: {}", forward, client, e.getMessage());
            return null;
        }
    }

    /** One client's traffic: datagrams to the guest from a socket of its own, replies sent back to it. */
    private final class Session {
        private final SocketAddress client;
        private final DatagramSocket upstream;
        private volatile long lastUsedNanos = System.nanoTime();

        Session(SocketAddress client) throws IOException {
            this.client = client;
            this.upstream = new DatagramSocket();
            upstream.connect(guest);
            upstream.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, idle.toMillis())));
        }

        void toGuest(DatagramPacket in) {
            lastUsedNanos = System.nanoTime();
            try {
                upstream.send(new DatagramPacket(in.getData(), in.getOffset(), in.getLength()));
            } catch (IOException e) {
                // The guest refused it (an ICMP port unreachable shows up here) or is gone: UDP drops it.
                LOG.debug("forward {}: datagram from {} not delivered: {}", forward, client, e.getMessage());
            }
        }

        void fromGuestLoop() {
            byte[] buffer = new byte[MAX_DATAGRAM];
            try (upstream) {
                while (!closed) {
                    DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
                    try {
                        upstream.receive(reply);
                    } catch (SocketTimeoutException e) {
                        if (System.nanoTime() - lastUsedNanos >= idle.toNanos()) return;
                        continue;
                    } catch (java.net.PortUnreachableException e) {
                        continue;   // an earlier datagram found no listener in the guest; later ones may
                    }
                    lastUsedNanos = System.nanoTime();
                    hostSocket.send(new DatagramPacket(reply.getData(), reply.getOffset(), reply.getLength(), client));
                }
            } catch (IOException e) {
                if (!closed) LOG.debug("forward {}: session of {} ended: {}", forward, client, e.getMessage());
            } finally {
                sessions.remove(client, this);
            }
        }

        void close() {
            upstream.close();
        }
    }

    @Override
    void closeSockets() {
        hostSocket.close();
        for (Session s : sessions.values()) s.close();
    }
}
