package dev.banger.daemon.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The configured VM subnet against the host's routes and addresses ({@code ip -j route},
 * {@code ip -j addr}): if they overlap, guests cannot reach that part of the host's network (and a
 * bridge on it would steal its traffic). Interfaces named banger* are banger's own bridge.
 */
final class SubnetCheck implements Check {
    private final String subnet;

    SubnetCheck(String subnet) {
        this.subnet = subnet;
    }

    @Override
    public String name() {
        return "subnet";
    }

    @Override
    public Finding run(HostProbe host) {
        Optional<long[]> mine = cidr(subnet);
        if (mine.isEmpty()) return Finding.fail("the configured subnet " + subnet + " is not an IPv4 prefix", null, "set subnet in config.toml");
        HostProbe.Output routes = host.run(List.of("ip", "-j", "route"));
        HostProbe.Output addrs = host.run(List.of("ip", "-j", "addr"));
        if (!routes.ok() || !addrs.ok()) {
            return Finding.warn("cannot list routes and addresses (ip -j route / ip -j addr)",
                    VmmDriverCheck.firstLine(routes.ok() ? addrs.stderr() : routes.stderr()), "sudo apt-get install iproute2");
        }
        List<String> clashes = new ArrayList<>();
        try {
            for (JsonNode r : Json.MAPPER.readTree(routes.stdout())) {
                String dst = r.path("dst").asText();
                if (dst.equals("default") || r.path("dev").asText().startsWith("banger")) continue;
                if (overlaps(mine.get(), cidr(dst.contains("/") ? dst : dst + "/32"))) clashes.add("route " + dst + " dev " + r.path("dev").asText());
            }
            for (JsonNode link : Json.MAPPER.readTree(addrs.stdout())) {
                String ifname = link.path("ifname").asText();
                if (ifname.startsWith("banger")) continue;
                for (JsonNode a : link.path("addr_info")) {
                    if (!"inet".equals(a.path("family").asText())) continue;
                    String addr = a.path("local").asText() + "/" + a.path("prefixlen").asInt(32);
                    if (overlaps(mine.get(), cidr(addr))) clashes.add("address " + addr + " on " + ifname);
                }
            }
        } catch (IOException e) {
            return Finding.warn("cannot parse ip's JSON: " + e.getMessage(), null, null);
        }
        if (clashes.isEmpty()) return Finding.ok(subnet + " collides with no route or interface", null);
        return Finding.warn(subnet + " collides with " + clashes.getFirst() + ": guests cannot reach that network",
                String.join("; ", clashes), "set subnet = \"<a free x.y.z.0/24>\" in config.toml, then restart bangerd");
    }

    /** {network, prefix length} of an a.b.c.d/n; empty when it is not one. */
    static Optional<long[]> cidr(String text) {
        String[] parts = text.split("/");
        if (parts.length != 2) return Optional.empty();
        String[] octets = parts[0].split("\\.");
        if (octets.length != 4) return Optional.empty();
        try {
            long ip = 0;
            for (String o : octets) {
                int v = Integer.parseInt(o);
                if (v < 0 || v > 255) return Optional.empty();
                ip = (ip << 8) | v;
            }
            int len = Integer.parseInt(parts[1]);
            if (len < 0 || len > 32) return Optional.empty();
            return Optional.of(new long[] {ip & mask(len), len});
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static long mask(long len) {
        return len == 0 ? 0 : (0xFFFFFFFFL << (32 - len)) & 0xFFFFFFFFL;
    }

    /** Two prefixes overlap when they agree on the shorter one's bits. */
    static boolean overlaps(long[] a, Optional<long[]> other) {
        if (other.isEmpty()) return false;
        long[] b = other.get();
        long m = mask(Math.min(a[1], b[1]));
        return (a[0] & m) == (b[0] & m);
    }
}
