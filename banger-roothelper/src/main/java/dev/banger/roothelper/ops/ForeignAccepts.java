package dev.banger.roothelper.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.core.Json;
import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The two narrow accepts for banger's bridge (everything from it, and established/related back to it)
 * in another table's forward chain that has policy drop, each marked with comment {@code banger}.
 * "From it" includes bridge to bridge: with br_netfilter loaded (Docker loads it and sets
 * bridge-nf-call-iptables), frames between two VMs on the bridge pass the forward hook as
 * {@code bgr0 → bgr0}, and a policy drop would cut VMs off from each other. Traffic of VMs without
 * NAT leaving the bridge is still dropped by banger's own table: a drop anywhere is final.
 *
 * <p>In a table iptables-nft owns ({@code ip filter}: Docker, ufw), they are added with
 * {@code iptables-nft-restore --noflush} (one transaction) as xtables matches: an nft-native
 * {@code ct state} rule there makes every later {@code iptables} call fail with "table `filter' is
 * incompatible", which breaks Docker. Elsewhere they are nft rules, found again by their comment.
 */
final class ForeignAccepts {
    /** Chain names come from nft's listing; only plain ones are written into an iptables-restore line (table names are iptables' own). */
    private static final java.util.regex.Pattern PLAIN_NAME = java.util.regex.Pattern.compile("^[A-Za-z0-9_.-]{1,64}$");
    private final HostCommands commands;
    private final Nft nft;
    private final String bridge;

    ForeignAccepts(HostCommands commands, Nft nft, String bridge) {
        this.commands = commands;
        this.nft = nft;
        this.bridge = bridge;
    }

    /** The iptables rule specs (after {@code -I/-C/-D CHAIN}); the same lists check, add and remove them. */
    private List<List<String>> iptablesSpecs() {
        return List.of(
                List.of("-i", bridge, "-m", "comment", "--comment", NftRuleset.MARK, "-j", "ACCEPT"),
                List.of("-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-m", "comment", "--comment", NftRuleset.MARK, "-j", "ACCEPT"));
    }

    /** Adds what is missing; returns the note for NatInfo. */
    String ensure(NftRuleset ruleset, NftRuleset.ForwardDrop drop) {
        String why = " (chain " + drop.chain() + " of that table has policy drop on the forward hook)";
        if (drop.iptablesTable() && iptablesNftInstalled()) {
            if (!PLAIN_NAME.matcher(drop.target()).matches()) {
                return "not changed: " + drop.describe() + why + " has a chain name the helper does not write into an "
                        + "iptables-restore line; add accepts for " + bridge + " there yourself, or the VM's traffic is dropped";
            }
            List<List<String>> missing = iptablesSpecs().stream().filter(spec -> !iptablesHas(drop, spec)).toList();
            if (missing.isEmpty()) {
                return "accepts for " + bridge + " already in " + drop.describe() + why;
            }
            StringBuilder batch = new StringBuilder("*").append(drop.table()).append('\n');
            for (List<String> spec : missing) {
                batch.append("-I ").append(drop.target()).append(" 1 ").append(String.join(" ", spec)).append('\n');
            }
            batch.append("COMMIT\n");
            HostCommands.CommandResult result = commands.run(List.of("iptables-nft-restore", "--noflush"), batch.toString());
            if (!result.ok()) {
                throw new HelperException(ErrorCode.FAILED, "iptables-nft-restore --noflush (accepts for " + bridge + " in "
                        + drop.describe() + "): " + result.firstErrorLine());
            }
            return "added accepts for " + bridge + " (from it, and established/related back) to " + drop.describe()
                    + " with iptables-nft, comment \"banger\"" + why;
        }
        long present = ruleset.markedRules().stream().filter(r -> r.family().equals(drop.family())
                && r.table().equals(drop.table()) && r.chain().equals(drop.target())).count();
        if (present >= 2) {
            return "accepts for " + bridge + " already in " + drop.describe() + why;
        }
        List<JsonNode> batch = new ArrayList<>();
        // Remove a half-present pair first so the chain holds exactly two marked rules afterwards.
        ruleset.markedRules().stream().filter(r -> r.family().equals(drop.family()) && r.table().equals(drop.table())
                && r.chain().equals(drop.target())).forEach(r -> batch.add(deleteRule(r)));
        // Inserted at the top, back then out: the chain then starts with out, back.
        batch.add(insertRule(drop, match("==", meta("oifname"), bridge),
                match("in", Json.MAPPER.createObjectNode().set("ct", Json.MAPPER.createObjectNode().put("key", "state")),
                        Json.MAPPER.createArrayNode().add("established").add("related"))));
        batch.add(insertRule(drop, match("==", meta("iifname"), bridge)));
        nft.applyJson(batch);
        return "added accepts for " + bridge + " (from it, and established/related back) to " + drop.describe()
                + " with nft, comment \"banger\"" + why;
    }

    /** Removes every accept the helper added; returns one line per chain cleaned. */
    List<String> removeAll(NftRuleset ruleset) {
        List<String> removed = new ArrayList<>();
        if (!ruleset.markedRules().isEmpty()) {
            List<JsonNode> batch = new ArrayList<>();
            for (NftRuleset.MarkedRule rule : ruleset.markedRules()) {
                batch.add(deleteRule(rule));
                removed.add("accept for " + bridge + " in table " + rule.family() + " " + rule.table() + " chain " + rule.chain());
            }
            nft.applyJson(batch);
        }
        if (ruleset.forwardDrops().stream().anyMatch(NftRuleset.ForwardDrop::iptablesTable) && iptablesNftInstalled()) {
            for (NftRuleset.ForwardDrop drop : ruleset.forwardDrops()) {
                if (!drop.iptablesTable() || !PLAIN_NAME.matcher(drop.target()).matches()) {
                    continue;
                }
                List<List<String>> present = iptablesSpecs().stream().filter(spec -> iptablesHas(drop, spec)).toList();
                if (present.isEmpty()) {
                    continue;
                }
                StringBuilder batch = new StringBuilder("*").append(drop.table()).append('\n');
                present.forEach(spec -> batch.append("-D ").append(drop.target()).append(' ').append(String.join(" ", spec)).append('\n'));
                batch.append("COMMIT\n");
                HostCommands.CommandResult result = commands.run(List.of("iptables-nft-restore", "--noflush"), batch.toString());
                if (!result.ok()) {
                    throw new HelperException(ErrorCode.FAILED, "iptables-nft-restore --noflush (removing accepts from "
                            + drop.describe() + "): " + result.firstErrorLine());
                }
                present.forEach(spec -> removed.add("accept for " + bridge + " in " + drop.describe()));
            }
        }
        return removed;
    }

    private boolean iptablesHas(NftRuleset.ForwardDrop drop, List<String> spec) {
        List<String> argv = new ArrayList<>(List.of("iptables-nft", "-w", "-t", drop.table(), "-C", drop.target()));
        argv.addAll(spec);
        return commands.run(argv, "").ok();
    }

    private boolean iptablesNftInstalled() {
        try {
            return commands.run(List.of("iptables-nft", "--version"), "").ok();
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    private JsonNode insertRule(NftRuleset.ForwardDrop drop, JsonNode... matches) {
        ObjectNode rule = Json.MAPPER.createObjectNode().put("family", drop.family()).put("table", drop.table())
                .put("chain", drop.target()).put("comment", NftRuleset.MARK);
        ArrayNode expr = rule.putArray("expr");
        for (JsonNode match : matches) {
            expr.add(match);
        }
        expr.addObject().putNull("accept");
        ObjectNode insert = Json.MAPPER.createObjectNode();
        insert.putObject("insert").set("rule", rule);
        return insert;
    }

    private static JsonNode deleteRule(NftRuleset.MarkedRule rule) {
        ObjectNode delete = Json.MAPPER.createObjectNode();
        delete.putObject("delete").putObject("rule").put("family", rule.family()).put("table", rule.table())
                .put("chain", rule.chain()).put("handle", rule.handle());
        return delete;
    }

    private static JsonNode meta(String key) {
        ObjectNode meta = Json.MAPPER.createObjectNode();
        meta.putObject("meta").put("key", key);
        return meta;
    }

    private static JsonNode match(String op, JsonNode left, String right) {
        return match(op, left, Json.MAPPER.getNodeFactory().textNode(right));
    }

    private static JsonNode match(String op, JsonNode left, JsonNode right) {
        ObjectNode match = Json.MAPPER.createObjectNode();
        match.putObject("match").put("op", op).set("left", left);
        ((ObjectNode) match.get("match")).set("right", right);
        return match;
    }
}
