package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Port forwards on a real guest (rootless: QEMU user networking): a TCP server in the guest reached
 * through a forward given at create and through one added live, which is gone once removed; UDP
 * too; a busy host port and another VM's port refused as conflicts; forwards back after stop + start.
 * The guest servers are perl (perl-base is in every Debian image; the image has no python3 or nc).
 */
class PortForwardE2eTest extends BootingE2eTest {
    static final String TCP_SERVER = "use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 8000, Listen => 5,"
            + " ReuseAddr => 1) or die $!; while (my $c = $s->accept) { print $c \"hello-from-guest\\n\"; close $c }";
    static final String UDP_SERVER = "use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 9000, Proto => 'udp')"
            + " or die $!; while (1) { my $m; $s->recv($m, 1500); $s->send(\"udp:\" . $m) }";

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void startGuestServers(String vm) throws Exception {
        for (String server : new String[] {TCP_SERVER, UDP_SERVER}) Banger.ok(startInGuest(vm, server));
    }

    /** The banger arguments that start perl {@code script} in the guest, detached from the exec's output streams so the exec returns at once. */
    static String[] startInGuest(String vm, String script) {
        return new String[] {"vm", "exec", vm, "--", "sh", "-c", "setsid -f perl -e \"$0\" </dev/null >/dev/null 2>&1", script};
    }

    /** The line the guest's TCP server sends, read through the host port; retried while the server starts. */
    private static String tcpLine(int port) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                s.setSoTimeout(5000);
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                if (line != null) return line;
            } catch (SocketTimeoutException | java.net.SocketException e) {
                if (e instanceof ConnectException) throw e;   // nothing listens on the host port: no forward
            }
            if (Instant.now().isAfter(deadline)) throw new AssertionError("no answer through host port " + port);
            Thread.sleep(300);
        }
    }

    private static String udpReply(int port) throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(1000);
            byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
            for (int attempt = 0; attempt < 30; attempt++) {
                s.send(new DatagramPacket(ping, ping.length, InetAddress.getLoopbackAddress(), port));
                DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
                try {
                    s.receive(reply);
                    return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
                } catch (SocketTimeoutException e) {
                    // the server may not be up yet; UDP has no refusal to wait for
                }
            }
            throw new AssertionError("no UDP answer through host port " + port);
        }
    }

    private static void assertRefused(int port) {
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            }
        }).as("nothing listens on host port " + port).isInstanceOf(ConnectException.class);
    }

    @Test
    void forwardsGivenAtCreateAddedLiveRemovedAndRestoredAfterStopStart() throws Exception {
        int tcp = freePort();
        int udp = freePort();
        JsonNode vm = Banger.run("vm", "create", "--name", "ports", "-p", tcp + ":8000", "-p", "127.0.0.1:" + udp + ":9000/udp", "--json").json();
        assertThat(vm.path("spec").path("port_forwards").toString())
                .contains("\"host_port\":" + tcp).contains("\"protocol\":\"udp\"");
        startGuestServers("ports");
        assertThat(tcpLine(tcp)).isEqualTo("hello-from-guest");
        assertThat(udpReply(udp)).isEqualTo("udp:ping");

        int live = freePort();
        long t0 = System.nanoTime();
        assertThat(Banger.ok("vm", "port", "add", "ports", live + ":8000").strip()).isEqualTo("127.0.0.1:" + live + ":8000/tcp");
        long addMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("PORTS-E2E vm port add (CLI round trip, live hostfwd_add): " + addMs + " ms");
        assertThat(tcpLine(live)).isEqualTo("hello-from-guest");
        JsonNode ls = Banger.run("vm", "port", "ls", "ports", "--json").json();
        assertThat(ls.path("forwards")).hasSize(3);
        assertThat(Banger.ok("vm", "port", "ls", "ports")).contains("127.0.0.1:" + live).contains("udp");

        t0 = System.nanoTime();
        assertThat(Banger.ok("vm", "port", "rm", "ports", Integer.toString(live)).strip()).isEqualTo("127.0.0.1:" + live + "/tcp");
        System.out.println("PORTS-E2E vm port rm (CLI round trip, live hostfwd_remove): " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertRefused(live);
        assertThat(tcpLine(tcp)).as("the other forwards stay").isEqualTo("hello-from-guest");
        assertThat(Banger.run("vm", "port", "rm", "ports", Integer.toString(live)).exit()).as("no such forward").isEqualTo(4);

        Banger.ok("vm", "stop", "ports");
        assertRefused(tcp);
        assertThat(Banger.run("vm", "port", "ls", "ports", "--json").json().path("forwards")).as("kept with the stopped VM").hasSize(2);
        Banger.ok("vm", "start", "ports");
        startGuestServers("ports");
        assertThat(tcpLine(tcp)).isEqualTo("hello-from-guest");
        assertThat(udpReply(udp)).isEqualTo("udp:ping");
        Banger.ok("vm", "rm", "--force", "ports");
        assertRefused(tcp);
    }

    @Test
    void busyTakenAndMalformedForwardsAreRefusedWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int busy = taken.getLocalPort();
            Banger.Result create = Banger.run("vm", "create", "--name", "busy", "-p", busy + ":80");
            assertThat(create.exit()).as(create.stderr()).isEqualTo(5);
            assertThat(create.stderr().strip()).isEqualTo("banger: host port 127.0.0.1:" + busy + "/tcp is in use");
            assertThat(Banger.run("vm", "show", "busy").exit()).as("nothing was created").isEqualTo(4);

            int claimed = freePort();
            Banger.ok("vm", "create", "--name", "owner", "--no-start", "-p", claimed + ":80");
            Banger.Result twice = Banger.run("vm", "create", "--name", "second", "--no-start", "-p", "0.0.0.0:" + claimed + ":81");
            assertThat(twice.exit()).as(twice.stderr()).isEqualTo(5);
            assertThat(twice.stderr()).contains("forwarded by vm owner").doesNotContain("\n\n");

            Banger.ok("vm", "start", "owner");
            Banger.Result liveBusy = Banger.run("vm", "port", "add", "owner", busy + ":80");
            assertThat(liveBusy.exit()).as(liveBusy.stderr()).isEqualTo(5);
            assertThat(liveBusy.stderr().strip()).isEqualTo("banger: host port 127.0.0.1:" + busy + "/tcp is in use");
            assertThat(Banger.run("vm", "port", "ls", "owner", "--json").json().path("forwards")).hasSize(1);
        }
        for (String bad : new String[] {"8080", "8080:80/sctp", "70000:80", "localhost:8080:80"}) {
            Banger.Result r = Banger.run("vm", "port", "add", "owner", bad);
            assertThat(r.exit()).as(bad + ": " + r.stderr()).isEqualTo(2);
            assertThat(r.stderr().strip()).startsWith("banger: invalid port forward").doesNotContain("\n");
        }
        Banger.ok("vm", "rm", "--force", "owner");
    }
}
