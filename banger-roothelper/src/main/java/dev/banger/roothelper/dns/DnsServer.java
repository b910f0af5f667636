package dev.banger.roothelper.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resolver on one address (the bridge's gateway, port 53), UDP and TCP. Never a wildcard
 * address: on 0.0.0.0 it would answer every network the host is on. Each query is handled on a
 * virtual thread; the bounds keep a flood from exhausting the helper: queries larger than
 * {@link #MAX_QUERY_BYTES} are dropped, at most {@link #MAX_CONCURRENT_QUERIES} are in flight (more
 * UDP queries are dropped, the client retries), at most {@link #MAX_TCP_CONNECTIONS} TCP
 * connections are open, each idle for at most {@link #TCP_IDLE_MILLIS}.
 */
public final class DnsServer implements AutoCloseable {
    static final int MAX_QUERY_BYTES = 4096;
    static final int MAX_CONCURRENT_QUERIES = 256;
    static final int MAX_TCP_CONNECTIONS = 64;
    static final int TCP_IDLE_MILLIS = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(DnsServer.class);

    private final InetSocketAddress address;
    private final DnsResponder responder;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Semaphore queries = new Semaphore(MAX_CONCURRENT_QUERIES);
    private final Semaphore connections = new Semaphore(MAX_TCP_CONNECTIONS);

    private DnsServer(InetSocketAddress address, DnsResponder responder, DatagramSocket udp, ServerSocket tcp) {
        this.address = address;
        this.responder = responder;
        this.udp = udp;
        this.tcp = tcp;
    }

    /** Binds UDP and TCP on {@code address} and starts serving; throws when either cannot be bound. */
    public static DnsServer start(InetSocketAddress address, DnsResponder responder) throws IOException {
        if (address.isUnresolved() || address.getAddress().isAnyLocalAddress()) {
            throw new IllegalArgumentException("the DNS server binds one address, never a wildcard: " + address);
        }
        DatagramSocket udp = new DatagramSocket(null);
        ServerSocket tcp = new ServerSocket();
        try {
            udp.bind(address);
            // Port 0 (tests) gets the same port for TCP as the kernel chose for UDP.
            InetSocketAddress bound = new InetSocketAddress(address.getAddress(), udp.getLocalPort());
            tcp.setReuseAddress(true);
            tcp.bind(bound, 64);
            DnsServer server = new DnsServer(bound, responder, udp, tcp);
            Thread.ofVirtual().name("dns-udp").start(server::serveUdp);
            Thread.ofVirtual().name("dns-tcp").start(server::serveTcp);
            return server;
        } catch (IOException | RuntimeException e) {
            udp.close();
            tcp.close();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return address;
    }

    public boolean isOpen() {
        return !udp.isClosed() && !tcp.isClosed();
    }

    private void serveUdp() {
        while (!udp.isClosed()) {
            // One byte more than the cap, so an oversize datagram is recognised (the kernel truncates to the buffer).
            DatagramPacket packet = new DatagramPacket(new byte[MAX_QUERY_BYTES + 1], MAX_QUERY_BYTES + 1);
            try {
                udp.receive(packet);
            } catch (IOException e) {
                if (!udp.isClosed()) {
                    LOG.warn("dns: udp receive on {}: {}", address, e.getMessage());
                }
                continue;
            }
            if (packet.getLength() > MAX_QUERY_BYTES || !queries.tryAcquire()) {
                continue;
            }
            byte[] query = Arrays.copyOf(packet.getData(), packet.getLength());
            var client = packet.getSocketAddress();
            Thread.ofVirtual().name("dns-query").start(() -> {
                try {
                    responder.answer(query, false).ifPresent(answer -> send(answer, client));
                } catch (RuntimeException e) {
                    LOG.warn("dns: query from {}: {}", client, e.toString());
                } finally {
                    queries.release();
                }
            });
        }
    }

    private void send(byte[] answer, java.net.SocketAddress client) {
        try {
            udp.send(new DatagramPacket(answer, answer.length, client));
        } catch (IOException e) {
            LOG.debug("dns: reply to {}: {}", client, e.getMessage());
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            Socket socket;
            try {
                socket = tcp.accept();
            } catch (IOException e) {
                if (!tcp.isClosed()) {
                    LOG.warn("dns: tcp accept on {}: {}", address, e.getMessage());
                }
                continue;
            }
            if (!connections.tryAcquire()) {
                closeQuietly(socket);
                continue;
            }
            Thread.ofVirtual().name("dns-tcp-conn").start(() -> {
                try (socket) {
                    serveConnection(socket);
                } catch (IOException | RuntimeException e) {
                    LOG.debug("dns: tcp connection: {}", e.toString());
                } finally {
                    connections.release();
                }
            });
        }
    }

    /** RFC 7766: two-byte length, message; several queries per connection, answered in order. */
    private void serveConnection(Socket socket) throws IOException {
        socket.setSoTimeout(TCP_IDLE_MILLIS);
        DataInputStream in = new DataInputStream(socket.getInputStream());
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        while (true) {
            int length;
            try {
                length = in.readUnsignedShort();
            } catch (EOFException | SocketException e) {
                return;
            }
            if (length == 0 || length > MAX_QUERY_BYTES) {
                return;
            }
            byte[] query = in.readNBytes(length);
            if (query.length < length) {
                return;
            }
            queries.acquireUninterruptibly();
            Optional<byte[]> answer;
            try {
                answer = responder.answer(query, true);
            } finally {
                queries.release();
            }
            if (answer.isEmpty()) {
                return;
            }
            out.writeShort(answer.get().length);
            out.write(answer.get());
            out.flush();
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing to do: the connection is refused either way.
        }
    }

    @Override
    public void close() {
        udp.close();
        try {
            tcp.close();
        } catch (IOException e) {
            LOG.debug("dns: closing tcp: {}", e.getMessage());
        }
    }

}
