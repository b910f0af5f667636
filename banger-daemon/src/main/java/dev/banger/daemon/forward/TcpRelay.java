package dev.banger.daemon.forward;

import dev.banger.core.model.PortForward;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP forward: each connection accepted on the host port gets its own connection to the guest,
 * and two virtual threads copy the bytes, one per direction. A direction's end of stream is passed
 * on as a half close, so protocols that send a request and then shut down their side work; an error
 * in either direction ends both.
 */
final class TcpRelay extends Relay {
    private static final Logger LOG = LoggerFactory.getLogger(TcpRelay.class);
    /** How long a client waits for the guest to accept before its connection is dropped. */
    static final int CONNECT_TIMEOUT_MS = 5_000;
    /**
     * Connections one forward carries at once. A forward on 0.0.0.0 can be reached by anyone on the
     * network, and each connection costs bangerd two descriptors: past the cap a new one is closed at
     * once, so a flood costs the VM its forward for a while but never bangerd its descriptors.
     */
    static final int MAX_CONNECTIONS = 512;

    private final ServerSocket server;
    private final InetSocketAddress guest;
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final int maxConnections;

    private TcpRelay(PortForward forward, ServerSocket server, InetSocketAddress guest, int maxConnections) {
        super(forward);
        this.maxConnections = maxConnections;
        this.server = server;
        this.guest = guest;
    }

    /** Binds the host side now (a busy port is the caller's {@link java.net.BindException}) and starts accepting. */
    static TcpRelay open(PortForward forward, InetSocketAddress host, InetSocketAddress guest, int maxConnections) throws IOException {
        ServerSocket server = new ServerSocket();
        try {
            // Lets a restarted bangerd bind again while connections it carried linger in TIME_WAIT;
            // Linux still refuses a second listener on the same port.
            server.setReuseAddress(true);
            server.bind(host, 128);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        TcpRelay relay = new TcpRelay(forward, server, guest, maxConnections);
        relay.listen(relay::acceptLoop);
        return relay;
    }

    @Override
    int openConnections() {
        return clients.size();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) LOG.warn("forward {}: accept failed, no longer listening: {}", forward, e.getMessage());
                return;
            }
            if (clients.size() >= maxConnections) {
                LOG.debug("forward {}: {} connections open, {} closed at once", forward, maxConnections, client.getRemoteSocketAddress());
                closeQuietly(client);
                continue;
            }
            clients.add(client);
            Thread.ofVirtual().name("relay " + forward + " " + client.getRemoteSocketAddress()).start(() -> carry(client));
        }
    }

    private void carry(Socket client) {
        open.add(client);
        Socket upstream = new Socket();
        open.add(upstream);
        try (client; upstream) {
            if (closed) return;
            upstream.connect(guest, CONNECT_TIMEOUT_MS);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
            Thread toGuest = Thread.ofVirtual().start(() -> copy(client, upstream));
            copy(upstream, client);
            toGuest.join();
        } catch (IOException e) {
            LOG.debug("forward {}: connection from {} ended: {}", forward, client.getRemoteSocketAddress(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(upstream);
            open.remove(client);
            clients.remove(client);
        }
    }

    /** Copies until end of stream, then half-closes {@code to}; on an error closes both, which ends the other direction too. */
    private static void copy(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is all that is left to do with it
        }
    }

    @Override
    void closeSockets() {
        try {
            server.close();
        } catch (IOException ignored) {
            // the port is released either way
        }
        for (Socket s : open) closeQuietly(s);
    }
}
