package dev.banger.roothelper.dns;

import java.nio.file.Path;

/**
 * Every file the DNS part reads or writes, injected so that tests pass temp files and production
 * passes the system's: the state dir (records), the hosts file, the resolv.conf the upstreams come
 * from, resolved's socket (whose presence chooses the host wiring) and resolved's network namespace
 * (PID 1's: per-link settings are only sent from that namespace).
 */
public record DnsPaths(Path stateDir, Path hostsFile, Path resolvConf, Path resolvedSocket, Path resolvedNetns) {
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/banger-roothelper");

    public DnsPaths {
        for (Path p : new Path[] {stateDir, hostsFile, resolvConf, resolvedSocket, resolvedNetns}) {
            if (p == null || !p.isAbsolute()) {
                throw new IllegalArgumentException("DNS paths must be absolute: " + p);
            }
        }
    }

    public static DnsPaths system(Path stateDir) {
        return new DnsPaths(stateDir, Path.of("/etc/hosts"), Path.of("/etc/resolv.conf"), ResolvedLink.SOCKET, ResolvedLink.INIT_NETNS);
    }
}
