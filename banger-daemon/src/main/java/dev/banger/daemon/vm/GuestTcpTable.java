package dev.banger.daemon.vm;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The guest's TCP sockets as its kernel lists them in {@code /proc/net/tcp} and {@code /proc/net/tcp6}
 * (read with a plain {@code cat} through the agent, so no ss or netstat is needed in the image). The
 * text comes from an untrusted guest: a line that does not parse is skipped, never an error, and the
 * worst a lying guest gets is to keep itself running or to be told its sshd is not up yet.
 */
record GuestTcpTable(List<Socket> sockets) {
    /** What bangerd runs in the guest to read the table. */
    static final List<String> READ = List.of("cat", "/proc/net/tcp", "/proc/net/tcp6");

    private static final String ESTABLISHED = "01";
    private static final String LISTEN = "0A";

    /** One socket: addresses as the kernel prints them (hex; IPv4 in host byte order), ports as numbers. */
    record Socket(String localAddress, int localPort, String remoteAddress, int remotePort, String state) { }

    GuestTcpTable {
        sockets = List.copyOf(sockets);
    }

    static GuestTcpTable parse(String procNetTcp) {
        List<Socket> out = new ArrayList<>();
        for (String line : procNetTcp.lines().toList()) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 4 || !f[0].endsWith(":")) continue;   // the header, or not a socket line
            String[] local = endpoint(f[1]);
            String[] remote = endpoint(f[2]);
            if (local == null || remote == null) continue;
            try {
                out.add(new Socket(local[0], Integer.parseInt(local[1], 16), remote[0], Integer.parseInt(remote[1], 16),
                        f[3].toUpperCase(java.util.Locale.ROOT)));
            } catch (NumberFormatException garbled) {
                // skipped: see the class comment
            }
        }
        return new GuestTcpTable(out);
    }

    /** Whether a socket listens on {@code port}, on any address. */
    boolean listensOn(int port) {
        return sockets.stream().anyMatch(s -> s.state().equals(LISTEN) && s.localPort() == port);
    }

    /**
     * Connections made to the guest from outside it and still open: established, on a port the guest
     * listens on, from an address that is not the guest's own loopback. A guest's own connections out
     * (a download) are not counted: they are the guest's doing, visible as CPU use.
     */
    int inboundConnections() {
        Set<Integer> listening = new HashSet<>();
        for (Socket s : sockets) if (s.state().equals(LISTEN)) listening.add(s.localPort());
        int n = 0;
        for (Socket s : sockets) {
            if (s.state().equals(ESTABLISHED) && listening.contains(s.localPort()) && !isLoopback(s.remoteAddress())) n++;
        }
        return n;
    }

    /** {@code ADDR:PORT} in hex, or null. */
    private static String[] endpoint(String field) {
        int colon = field.lastIndexOf(':');
        if (colon <= 0 || colon == field.length() - 1) return null;
        return new String[] {field.substring(0, colon).toUpperCase(java.util.Locale.ROOT), field.substring(colon + 1)};
    }

    /**
     * 127.0.0.0/8 (IPv4, printed little-endian: the first octet is the last byte), ::1, and
     * ::ffff:127.x.y.z; the kernel prints IPv6 as four 32-bit words, each in host (little-endian) order.
     */
    static boolean isLoopback(String hex) {
        if (hex.length() == 8) return hex.endsWith("7F");
        if (hex.length() != 32) return false;
        if (hex.equals("00000000000000000000000001000000")) return true;   // ::1
        return hex.startsWith("0000000000000000FFFF0000") && hex.endsWith("7F");   // ::ffff:127.x.y.z
    }
}
