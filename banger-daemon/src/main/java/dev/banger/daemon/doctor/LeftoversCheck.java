package dev.banger.daemon.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a crashed bridged run leaves on the host: taps named bt + 12 hex digits, an nft table
 * {@code inet banger}, a {@code # BEGIN banger} block in /etc/hosts. They are stale when no root
 * helper is running to own them; they are only reported, never removed here.
 */
final class LeftoversCheck implements Check {
    static final Pattern TAP = Pattern.compile("^bt[0-9a-f]{12}$");
    static final String HOSTS_MARKER = "# BEGIN banger";

    private final boolean helperRunning;

    LeftoversCheck(boolean helperRunning) {
        this.helperRunning = helperRunning;
    }

    @Override
    public String name() {
        return "leftovers";
    }

    @Override
    public Finding run(HostProbe host) {
        if (helperRunning) return Finding.ok("the root helper is running and owns banger's taps, table and hosts block", null);
        List<String> found = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        for (String link : host.list(Path.of("/sys/class/net"))) {
            if (TAP.matcher(link).matches()) {
                found.add("tap " + link);
                fixes.add("sudo ip link delete " + link);
            }
        }
        String unreadable = null;
        if (host.tool("nft").isPresent()) {
            HostProbe.Output t = host.run(List.of("nft", "-j", "list", "tables"));
            if (!t.ok()) unreadable = "cannot list nft tables as " + host.user();
            else if (hasBangerTable(t.stdout())) {
                found.add("nft table inet banger");
                fixes.add("sudo nft delete table inet banger");
            }
        }
        if (host.read(Path.of("/etc/hosts")).orElse("").lines().anyMatch(l -> l.strip().startsWith(HOSTS_MARKER))) {
            found.add("/etc/hosts block " + HOSTS_MARKER);
            fixes.add("remove the lines from '# BEGIN banger' to '# END banger' in /etc/hosts");
        }
        if (found.isEmpty()) {
            return unreadable == null ? Finding.ok("no stale banger taps, nft table or /etc/hosts block", null)
                    : Finding.warn("no stale taps or /etc/hosts block; " + unreadable, null, "sudo nft list tables");
        }
        return Finding.warn("stale from a crashed run (no root helper running): " + String.join(", ", found),
                unreadable, String.join("; ", fixes));
    }

    /** Whether {@code nft -j list tables} lists table inet banger. */
    static boolean hasBangerTable(String json) {
        try {
            for (JsonNode item : Json.MAPPER.readTree(json).path("nftables")) {
                JsonNode t = item.path("table");
                if ("inet".equals(t.path("family").asText()) && "banger".equals(t.path("name").asText())) return true;
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
