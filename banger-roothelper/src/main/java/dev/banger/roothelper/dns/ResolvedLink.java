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

    private final Path socket;
    private final HostCommands commands;

    public ResolvedLink(Path socket, HostCommands commands) {
        this.socket = socket;
        this.commands = commands;
    }

    public boolean running() {
        return Files.exists(socket);
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
