package dev.banger.roothelper.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What NAT needs to know from {@code nft -j list ruleset}: the elements of banger's set, and the other
 * tables' forward-hook base chains whose policy is drop (they drop a VM's traffic whatever banger's own
 * chain accepts: in nftables an accept ends one base chain only, a drop ends the packet).
 */
record NftRuleset(boolean bangerTable, List<Element> elements, List<ForwardDrop> forwardDrops, List<MarkedRule> markedRules) {
    static final String FAMILY = "inet";
    static final String TABLE = "banger";
    static final String SET = "nat_vms";
    /** The comment on every rule the helper adds to another table, so it can be found and removed. */
    static final String MARK = "banger";
    static final String DOCKER_USER = "DOCKER-USER";
    private static final String VM_COMMENT_PREFIX = "vm ";

    NftRuleset {
        elements = List.copyOf(elements);
        forwardDrops = List.copyOf(forwardDrops);
        markedRules = List.copyOf(markedRules);
    }

    /** One element of {@code nat_vms}; {@code vmId} is empty when its comment is not {@code vm <id>} (not one the helper wrote). */
    record Element(String ip, Optional<String> vmId) {
        static String comment(String vmId) {
            return VM_COMMENT_PREFIX + vmId;
        }

        String describe() {
            return "nat " + ip + " (vm " + vmId.orElse("?") + ")";
        }
    }

    /**
     * A forward base chain with policy drop in another table; {@code target} is where the accepts go:
     * {@code DOCKER-USER} when the base chain jumps to it (Docker's documented place for user rules), else the base chain.
     */
    record ForwardDrop(String family, String table, String chain, String target) {
        /** iptables-nft owns the table: rules must stay in forms iptables understands, or Docker's iptables calls fail. */
        boolean iptablesTable() {
            return family.equals("ip") && Set.of("filter", "mangle", "raw", "security").contains(table);
        }

        String describe() {
            return "table " + family + " " + table + " chain " + target;
        }
    }

    /** A rule with comment {@code banger} outside banger's table (an accept the helper added with nft). */
    record MarkedRule(String family, String table, String chain, long handle) { }

    List<Element> elementsOf(String vmId) {
        return elements.stream().filter(e -> e.vmId().equals(Optional.of(vmId))).toList();
    }

    Optional<Element> elementWithIp(String ip) {
        return elements.stream().filter(e -> e.ip().equals(ip)).findFirst();
    }

    static NftRuleset parse(JsonNode dump) {
        boolean table = false;
        List<Element> elements = new ArrayList<>();
        List<JsonNode> dropChains = new ArrayList<>();
        Map<String, List<String>> jumps = new HashMap<>();
        List<MarkedRule> marked = new ArrayList<>();
        for (JsonNode object : dump.path("nftables")) {
            if (object.has("table")) {
                JsonNode t = object.get("table");
                table |= isBanger(t.path("family").asText(), t.path("name").asText());
            } else if (object.has("set")) {
                JsonNode set = object.get("set");
                if (isBanger(set.path("family").asText(), set.path("table").asText()) && SET.equals(set.path("name").asText())) {
                    set.path("elem").forEach(e -> elements.add(element(e)));
                }
            } else if (object.has("chain")) {
                JsonNode chain = object.get("chain");
                String family = chain.path("family").asText();
                boolean ipv4 = family.equals("ip") || family.equals("inet");
                if (ipv4 && !isBanger(family, chain.path("table").asText())
                        && "forward".equals(chain.path("hook").asText()) && "drop".equals(chain.path("policy").asText())) {
                    dropChains.add(chain);
                }
            } else if (object.has("rule")) {
                JsonNode rule = object.get("rule");
                String family = rule.path("family").asText();
                String tableName = rule.path("table").asText();
                String chain = rule.path("chain").asText();
                for (JsonNode expression : rule.path("expr")) {
                    String target = expression.path("jump").path("target").asText(null);
                    if (target != null) {
                        jumps.computeIfAbsent(key(family, tableName, chain), k -> new ArrayList<>()).add(target);
                    }
                }
                if (!isBanger(family, tableName) && MARK.equals(rule.path("comment").asText(null))) {
                    marked.add(new MarkedRule(family, tableName, chain, rule.path("handle").asLong()));
                }
            }
        }
        List<ForwardDrop> drops = new ArrayList<>();
        for (JsonNode chain : dropChains) {
            String family = chain.path("family").asText();
            String tableName = chain.path("table").asText();
            String name = chain.path("name").asText();
            boolean jumpsToDockerUser = jumps.getOrDefault(key(family, tableName, name), List.of()).contains(DOCKER_USER);
            drops.add(new ForwardDrop(family, tableName, name, jumpsToDockerUser ? DOCKER_USER : name));
        }
        return new NftRuleset(table, elements, drops, marked);
    }

    /** {@code "10.77.0.5"} (no comment) or {@code {"elem": {"val": "10.77.0.5", "comment": "vm …"}}}. */
    private static Element element(JsonNode e) {
        if (e.isTextual()) {
            return new Element(e.asText(), Optional.empty());
        }
        JsonNode inner = e.path("elem");
        String comment = inner.path("comment").asText("");
        Optional<String> vmId = comment.startsWith(VM_COMMENT_PREFIX)
                ? Optional.of(comment.substring(VM_COMMENT_PREFIX.length())).filter(id -> dev.banger.roothelper.api.VmIds.PATTERN.matcher(id).matches())
                : Optional.empty();
        return new Element(inner.path("val").asText(), vmId);
    }

    private static boolean isBanger(String family, String table) {
        return FAMILY.equals(family) && TABLE.equals(table);
    }

    private static String key(String family, String table, String chain) {
        return family + " " + table + " " + chain;
    }
}
