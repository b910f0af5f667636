package dev.banger.roothelper.dns;

import dev.banger.roothelper.ops.HostCommands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * systemd-resolved's per-link settings for the bridge: its DNS server is the gateway, it is the
 * route for {@code ~vm} only (the host's other names keep their resolvers), and DNSSEC is off for it
 * (our answers are unsigned). resolved forgets them when the link goes away, so they are re-applied
 * whenever the bridge is ensured.
 */
public final class ResolvedLink {
    /** Present while resolved runs. */
    public static final Path SOCKET = Path.of("/run/systemd/resolve/io.systemd.Resolve");

    /** resolved's network namespace: PID 1's. */
    public static final Path INIT_NETNS = Path.of("/proc/1/ns/net");

    private final Path socket;
    private final Path resolvedNetns;
    private final HostCommands commands;

    public ResolvedLink(Path socket, Path resolvedNetns, HostCommands commands) {
        this.socket = socket;
        this.resolvedNetns = resolvedNetns;
        this.commands = commands;
    }

    /**
     * resolved's socket exists and we share its network namespace (PID 1's; unreadable counts as not shared). From another namespace
     * (a helper under {@code ip netns exec}) {@code resolvectl} would send the bridge's ifindex of
     * that namespace to resolved, which would configure whatever link of its own has that index.
     */
    public boolean running() {
        return Files.exists(socket) && sharesResolvedsNetworkNamespace();
    }

    private boolean sharesResolvedsNetworkNamespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/net")).equals(Files.readSymbolicLink(resolvedNetns));
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Drops the link's DNS settings ({@code resolvectl revert}); the failure line, if any. */
    public java.util.Optional<String> revert(String bridge) {
        HostCommands.CommandResult result = commands.run(List.of("resolvectl", "revert", bridge), "");
        return result.ok() ? java.util.Optional.empty() : java.util.Optional.of("resolvectl revert " + bridge + ": " + result.firstErrorLine());
    }

    /** Runs every setting even when one fails; returns one line per failure. */
    public List<String> apply(String bridge, String gateway) {
        List<String> errors = new ArrayList<>();
        for (List<String> argv : List.of(
                List.of("resolvectl", "dns", bridge, gateway),
                List.of("resolvectl", "domain", bridge, "~" + DnsZone.DOMAIN),
                List.of("resolvectl", "dnssec", bridge, "no"))) {
            HostCommands.CommandResult result = commands.run(argv, "");
            if (!result.ok()) {
                errors.add(String.join(" ", argv) + ": " + result.firstErrorLine());
            }
        }
        return errors;
    }
}
