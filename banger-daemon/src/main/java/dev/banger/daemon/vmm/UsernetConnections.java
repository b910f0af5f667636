package dev.banger.daemon.vmm;

import java.util.Set;

/**
 * Counts the live TCP connections in QEMU's {@code info usernet} (libslirp's connection table):
 * a line per socket, {@code TCP[ESTABLISHED]  FD  src  port  dst  port  recvq  sendq}. The
 * forwarding listeners ({@code HOST_FORWARD}) and connections that are already over are not
 * activity; UDP flows (the guest's DNS lookups, say) are left out on purpose.
 */
final class UsernetConnections {
    private static final Set<String> NOT_LIVE = Set.of("HOST_FORWARD", "LISTEN", "CLOSED", "TIME_WAIT", "NONE");

    private UsernetConnections() { }

    static int count(String infoUsernet) {
        int n = 0;
        for (String line : infoUsernet.lines().toList()) {
            String t = line.strip();
            if (!t.startsWith("TCP[")) continue;
            int close = t.indexOf(']');
            if (close < 0) continue;
            if (!NOT_LIVE.contains(t.substring(4, close))) n++;
        }
        return n;
    }
}
