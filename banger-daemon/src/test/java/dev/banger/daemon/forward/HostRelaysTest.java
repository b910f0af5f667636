package dev.banger.daemon.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.PortForward;
import dev.banger.daemon.vmm.PortBusyException;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * bangerd's own forwards over real loopback sockets: a "guest" server on 127.0.0.1 stands for the
 * bridged guest's address (the bridged e2e reaches a real guest on a real bridge).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostRelaysTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final HostRelays relays = new HostRelays(Duration.ofMillis(500), 3);
    private ServerSocket guestTcp;
    private DatagramSocket guestUdp;

    @AfterEach
    void closeEverything() throws IOException {
        for (String id : relays.vmIds()) relays.closeAll(id);
        if (guestTcp != null) guestTcp.close();
        if (guestUdp != null) guestUdp.close();
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    /** A guest TCP server that reads a request to its end and answers it upper-cased, then closes. */
    private int upperCasingGuest() throws IOException {
        guestTcp = new ServerSocket(0, 50, LOOPBACK);
        Thread.ofVirtual().start(() -> {
            while (true) {
                try {
                    Socket c = guestTcp.accept();
                    Thread.ofVirtual().start(() -> {
                        try (c) {
                            String request = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                            c.getOutputStream().write(request.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
                        } catch (IOException ignored) {
                            // the test sees what did not arrive
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return guestTcp.getLocalPort();
    }

    private static PortForward tcp(int hostPort, int guestPort) {
        return new PortForward("127.0.0.1", hostPort, guestPort, PortForward.Protocol.TCP);
    }

    private static PortForward udp(int hostPort, int guestPort) {
        return new PortForward("127.0.0.1", hostPort, guestPort, PortForward.Protocol.UDP);
    }

    @Test
    void aTcpRequestReachesTheGuestAndItsAnswerComesBackAfterTheClientsHalfClose() throws Exception {
        int host = freeTcpPort();
        relays.open("vm1", "127.0.0.1", tcp(host, upperCasingGuest()));
        for (int i = 0; i < 3; i++) {
            try (Socket s = new Socket(LOOPBACK, host)) {
                s.getOutputStream().write(("request " + i).getBytes(StandardCharsets.UTF_8));
                s.shutdownOutput();
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("REQUEST " + i);
            }
        }
        assertThat(relays.forwardsOf("vm1")).containsExactly(tcp(host, guestTcp.getLocalPort()));
    }

    @Test
    void aBusyHostPortIsPortBusyAndLeavesNoForward() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            PortForward f = tcp(taken.getLocalPort(), 80);
            assertThatThrownBy(() -> relays.open("vm1", "127.0.0.1", f)).isInstanceOf(PortBusyException.class)
                    .hasMessage("host port 127.0.0.1:" + taken.getLocalPort() + "/tcp is in use");
        }
        assertThat(relays.vmIds()).isEmpty();
    }

    @Test
    void closingAVmsForwardsEndsTheConnectionsTheyCarryAndFreesThePorts() throws Exception {
        guestTcp = new ServerSocket(0, 50, LOOPBACK);   // accepts and then never answers nor closes
        int host = freeTcpPort();
        relays.open("vm1", "127.0.0.1", tcp(host, guestTcp.getLocalPort()));
        try (Socket client = new Socket(LOOPBACK, host); Socket atGuest = guestTcp.accept()) {
            client.getOutputStream().write(1);
            assertThat(atGuest.getInputStream().read()).isEqualTo(1);
            assertThat(relays.openConnections("vm1")).isEqualTo(1);

            relays.closeAll("vm1");
            client.setSoTimeout(5000);
            assertThat(readOrEnd(client.getInputStream())).as("the client's connection ended").isEqualTo(-1);
            atGuest.setSoTimeout(5000);
            assertThat(readOrEnd(atGuest.getInputStream())).as("the guest's side ended").isEqualTo(-1);
        }
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(LOOPBACK, host));
        }
        assertThat(relays.vmIds()).isEmpty();
        assertThat(relays.openConnections("vm1")).isZero();
    }

    /**
     * A socket a virtual thread is blocked on is released only once that thread wakes: without
     * waiting for it, "closed" came back while the port was still taken (seen in BridgedNetworkTest).
     */
    @Test
    void aClosedForwardsPortIsFreeTheMomentCloseReturns() throws Exception {
        for (int round = 0; round < 5; round++) {
            int tcpPort = freeTcpPort();
            int udpPort = freeUdpPort();
            relays.open("vm1", "127.0.0.1", tcp(tcpPort, 80));
            relays.open("vm1", "127.0.0.1", udp(udpPort, 53));
            Thread.sleep(50);   // both listeners are blocked in accept and receive
            relays.closeAll("vm1");
            try (ServerSocket t = new ServerSocket(); DatagramSocket u = new DatagramSocket(null)) {
                t.bind(new InetSocketAddress(LOOPBACK, tcpPort));
                u.bind(new InetSocketAddress(LOOPBACK, udpPort));
            }
        }
    }

    /** -1 at end of stream or on a reset: either way the peer is gone. */
    private static int readOrEnd(InputStream in) throws IOException {
        try {
            return in.read();
        } catch (java.net.SocketException e) {
            return -1;
        }
    }

    /** A forward on 0.0.0.0 is open to the network: a flood of connections must not cost bangerd its descriptors. */
    @Test
    void connectionsPastTheCapAreClosedAtOnceAndTheForwardServesAgainOnceOneEnds() throws Exception {
        guestTcp = new ServerSocket(0, 50, LOOPBACK);
        guestTcp.setSoTimeout(10_000);   // an accept that never comes fails the test instead of hanging it
        int host = freeTcpPort();
        relays.open("vm1", "127.0.0.1", tcp(host, guestTcp.getLocalPort()));
        java.util.List<Socket> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket s = new Socket(LOOPBACK, host);
                held.add(s);
                s.getOutputStream().write(1);
                guestTcp.accept().close();   // the relay's upstream connection arrived; the guest ends it at once
            }
        } finally {
            for (Socket s : held) s.close();
            held.clear();
        }
        // Both ends of each relayed connection are closed: it ends and frees its place.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (relays.openConnections("vm1") > 0 && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(relays.openConnections("vm1")).isZero();

        java.util.List<Socket> atGuest = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                held.add(new Socket(LOOPBACK, host));
                atGuest.add(guestTcp.accept());
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (relays.openConnections("vm1") < 3 && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(relays.openConnections("vm1")).isEqualTo(3);
            try (Socket fourth = new Socket(LOOPBACK, host)) {
                fourth.setSoTimeout(5000);
                assertThat(readOrEnd(fourth.getInputStream())).as("past the cap of 3: closed at once").isEqualTo(-1);
            }
            assertThat(relays.openConnections("vm1")).isEqualTo(3);
            atGuest.removeFirst().close();
            held.removeFirst().close();
            while (relays.openConnections("vm1") > 2 && System.nanoTime() < deadline) Thread.sleep(50);
            try (Socket again = new Socket(LOOPBACK, host)) {
                again.getOutputStream().write(7);
                try (Socket seen = guestTcp.accept()) {
                    assertThat(seen.getInputStream().read()).as("served again below the cap").isEqualTo(7);
                }
            }
        } finally {
            for (Socket s : held) s.close();
            for (Socket s : atGuest) s.close();
        }
    }

    @Test
    void aConnectionToAGuestPortNobodyListensOnIsClosedAtOnce() throws Exception {
        int nobody = freeTcpPort();
        int host = freeTcpPort();
        relays.open("vm1", "127.0.0.1", tcp(host, nobody));
        try (Socket s = new Socket(LOOPBACK, host)) {
            s.setSoTimeout(5000);
            assertThat(readOrEnd(s.getInputStream())).isEqualTo(-1);
        }
    }

    @Test
    void eachUdpClientGetsItsOwnRepliesAndIdleSessionsAreClosed() throws Exception {
        guestUdp = new DatagramSocket(0, LOOPBACK);
        Thread.ofVirtual().start(() -> {
            byte[] buffer = new byte[1500];
            while (true) {
                DatagramPacket p = new DatagramPacket(buffer, buffer.length);
                try {
                    guestUdp.receive(p);
                    byte[] reply = ("re:" + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                    guestUdp.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        });
        int host = freeUdpPort();
        relays.open("vm1", "127.0.0.1", udp(host, guestUdp.getLocalPort()));
        try (DatagramSocket one = new DatagramSocket(); DatagramSocket two = new DatagramSocket()) {
            assertThat(ask(one, host, "one")).isEqualTo("re:one");
            assertThat(ask(two, host, "two")).isEqualTo("re:two");
            assertThat(ask(one, host, "one again")).isEqualTo("re:one again");
            assertThat(relays.openConnections("vm1")).isEqualTo(2);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (relays.openConnections("vm1") > 0 && System.nanoTime() < deadline) Thread.sleep(100);
        assertThat(relays.openConnections("vm1")).as("sessions idle past 500 ms are closed").isZero();
        try (DatagramSocket three = new DatagramSocket()) {
            assertThat(ask(three, host, "later")).as("the forward itself stays").isEqualTo("re:later");
        }
    }

    private static String ask(DatagramSocket client, int port, String text) throws IOException {
        client.setSoTimeout(2000);
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        for (int attempt = 0; attempt < 5; attempt++) {
            client.send(new DatagramPacket(data, data.length, LOOPBACK, port));
            DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
            try {
                client.receive(reply);
                return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
            } catch (SocketTimeoutException e) {
                // UDP: asked again
            }
        }
        throw new AssertionError("no reply to " + text);
    }

    @Test
    void closingOneForwardLeavesTheVmsOthersOpen() throws Exception {
        int guest = upperCasingGuest();
        int first = freeTcpPort();
        int second = freeTcpPort();
        relays.open("vm1", "127.0.0.1", tcp(first, guest));
        relays.open("vm1", "127.0.0.1", tcp(second, guest));
        relays.open("vm1", "127.0.0.1", tcp(second, guest));   // again: a no-op
        assertThat(relays.close("vm1", tcp(first, 1))).as("only the host side names a forward").isTrue();
        assertThat(relays.close("vm1", tcp(first, 1))).isFalse();
        assertThat(relays.forwardsOf("vm1")).containsExactly(tcp(second, guest));
        try (Socket s = new Socket(LOOPBACK, second)) {
            s.getOutputStream().write("x".getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("X");
        }
    }
}
