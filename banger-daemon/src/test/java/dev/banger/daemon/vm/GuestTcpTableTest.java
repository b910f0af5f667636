package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The guest's socket table as the idle stop and ssh-config read it. The last tests read this host's
 * own /proc/net/tcp and tcp6 after making real connections (a Linux kernel prints the guest's the same way),
 * keeping only the lines of the test's own port, since other processes' sockets change meanwhile.
 */
class GuestTcpTableTest {
    private static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    private static final String SSHD_LISTENS = "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1\n";
    /** 10.77.0.5:22 ← 10.77.0.1:50000 (IPv4 is printed in host byte order). */
    private static final String SSH_FROM_HOST = "   1: 05004D0A:0016 01004D0A:C350 01 00000000:00000000 00:00000000 00000000     0        0 5 1\n";
    private static final String SSH_FROM_LOOPBACK = "   2: 0100007F:0016 0100007F:C351 01 00000000:00000000 00:00000000 00000000     0        0 6 1\n";
    /** The guest's own download: 10.77.0.5:40000 → 151.101.2.132:443, no listener on 40000. */
    private static final String OUTBOUND = "   3: 05004D0A:9C40 8402659A:01BB 01 00000000:00000000 00:00000000 00000000     0        0 7 1\n";
    private static final String TIME_WAIT = "   4: 05004D0A:0016 01004D0A:C352 06 00000000:00000000 03:00000000 00000000     0        0 0 3\n";
    private static final String SSH6_FROM_HOST = "   0: 0000000000000000FFFF000005004D0A:0016 0000000000000000FFFF000001004D0A:C353 01 00000000:00000000 00:00000000 00000000     0        0 8 1\n";
    private static final String SSH6_FROM_LOOPBACK = "   1: 00000000000000000000000001000000:0016 00000000000000000000000001000000:C354 01 00000000:00000000 00:00000000 00000000     0        0 9 1\n";

    @Test
    void anOpenSshSessionFromTheHostIsAnInboundConnection() {
        assertThat(GuestTcpTable.parse(HEADER + SSHD_LISTENS + SSH_FROM_HOST).inboundConnections()).isEqualTo(1);
    }

    @Test
    void aQuietGuestWithOnlyListenersHasNone() {
        assertThat(GuestTcpTable.parse(HEADER + SSHD_LISTENS).inboundConnections()).isZero();
        assertThat(GuestTcpTable.parse("").inboundConnections()).isZero();
    }

    @Test
    void theGuestsOwnLoopbackOutboundAndClosingSocketsDoNotCount() {
        String table = HEADER + SSHD_LISTENS + SSH_FROM_LOOPBACK + OUTBOUND + TIME_WAIT + HEADER + SSH6_FROM_LOOPBACK;
        assertThat(GuestTcpTable.parse(table).inboundConnections()).isZero();
    }

    @Test
    void tcp6CountsIncludingV4MappedPeers() {
        String table = HEADER + SSHD_LISTENS + HEADER + SSH6_FROM_HOST;
        assertThat(GuestTcpTable.parse(table).inboundConnections()).isEqualTo(1);
    }

    @Test
    void garbageFromAnUntrustedGuestIsSkippedNotThrown() {
        String table = HEADER + "   9: nonsense\n   8: ZZ:ZZ YY:YY 01\n   7: 0100007F: :0016 01\n" + SSHD_LISTENS + SSH_FROM_HOST;
        GuestTcpTable parsed = GuestTcpTable.parse(table);
        assertThat(parsed.inboundConnections()).isEqualTo(1);
        assertThat(parsed.listensOn(22)).isTrue();
        assertThat(parsed.listensOn(80)).isFalse();
    }

    @Test
    void loopbackAddressesInBothFamilies() {
        assertThat(GuestTcpTable.isLoopback("0100007F")).isTrue();
        assertThat(GuestTcpTable.isLoopback("0200007F")).isTrue();        // 127.0.0.2
        assertThat(GuestTcpTable.isLoopback("7F00000A")).isFalse();       // 10.0.0.127
        assertThat(GuestTcpTable.isLoopback("00000000000000000000000001000000")).isTrue();
        assertThat(GuestTcpTable.isLoopback("0000000000000000FFFF00000100007F")).isTrue();
        assertThat(GuestTcpTable.isLoopback("0000000000000000FFFF000001004D0A")).isFalse();
    }

    @Test
    void aRealConnectionFromANonLoopbackAddressCountsAndALoopbackOneDoesNot() throws Exception {
        InetAddress own = nonLoopbackIpv4();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("0.0.0.0", 0));
            int port = server.getLocalPort();
            assertThat(ownLines(port).inboundConnections()).isZero();
            try (Socket fromLoopback = new Socket(InetAddress.getLoopbackAddress(), port); Socket a = server.accept()) {
                assertThat(ownLines(port).inboundConnections()).as("a connection from 127.0.0.1").isZero();
                assertThat(ownLines(port).listensOn(port)).isTrue();
            }
            try (Socket fromOutside = new Socket(own, port); Socket b = server.accept()) {
                assertThat(ownLines(port).inboundConnections()).as("a connection from " + own.getHostAddress()).isEqualTo(1);
            }
        }
    }

    /** The header and this host's socket lines that involve {@code port} (as either end). */
    private static GuestTcpTable ownLines(int port) throws Exception {
        String hex = ":" + String.format(Locale.ROOT, "%04X", port) + " ";
        // both files, as the guest read does: a JVM's server socket is dual-stack, so it and the
        // IPv4 connections it accepts are in tcp6 (peers as ::ffff:a.b.c.d)
        StringBuilder table = new StringBuilder();
        for (String file : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            table.append(HEADER).append(Files.readAllLines(Path.of(file)).stream()
                    .filter(l -> l.contains(hex)).map(l -> l + "\n").collect(Collectors.joining()));
        }
        return GuestTcpTable.parse(table.toString());
    }

    /** An IPv4 address of one of this host's interfaces, not loopback (HostPortsTest uses it too). */
    static InetAddress nonLoopbackIpv4() throws Exception {
        return NetworkInterface.networkInterfaces().filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (Exception e) {
                        return false;
                    }
                })
                .flatMap(NetworkInterface::inetAddresses).filter(a -> a instanceof Inet4Address).findFirst()
                .orElseThrow(() -> new AssertionError("this test needs an IPv4 address other than loopback"));
    }
}
