package dev.banger.daemon.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A FORWARD hook with policy drop, or a Docker ruleset (which installs one), drops bridged VM
 * traffic unless banger's bridge is allowed. Read only: {@code nft -j list ruleset} when this user
 * may, else said so.
 */
final class ForwardPolicyCheck implements Check {
    private final Networking net;

    ForwardPolicyCheck(Networking net) {
        this.net = net;
    }

    @Override
    public String name() {
        return "forward_policy";
    }

    @Override
    public Finding run(HostProbe host) {
        if (host.tool("nft").isEmpty()) return Finding.warn("cannot read the ruleset: nft not found", null, "sudo apt-get install nftables");
        HostProbe.Output out = host.run(List.of("nft", "-j", "list", "ruleset"));
        if (!out.ok()) {
            return Finding.warn("cannot read the ruleset as " + host.user(), VmmDriverCheck.firstLine(out.stderr()), "sudo nft list ruleset");
        }
        List<String> drops = new ArrayList<>();
        boolean docker = false;
        try {
            for (JsonNode item : Json.MAPPER.readTree(out.stdout()).path("nftables")) {
                JsonNode chain = item.path("chain");
                if (chain.isMissingNode()) continue;
                String where = chain.path("family").asText() + " " + chain.path("table").asText() + " " + chain.path("name").asText();
                if (chain.path("name").asText().startsWith("DOCKER")) docker = true;
                if ("forward".equals(chain.path("hook").asText()) && "drop".equals(chain.path("policy").asText())) drops.add(where);
            }
        } catch (IOException e) {
            return Finding.warn("cannot parse nft's JSON: " + e.getMessage(), null, null);
        }
        if (drops.isEmpty() && !docker) return Finding.ok("no FORWARD policy drop and no Docker ruleset: bridged VM traffic passes", null);
        String facts = (drops.isEmpty() ? "" : "forward hook with policy drop: " + String.join(", ", drops) + "; ")
                + (docker ? "Docker chains present (Docker sets FORWARD to drop)" : "");
        String summary = (docker ? "a Docker ruleset" : "a FORWARD policy of drop") + " will drop bridged VM traffic";
        String fix = "allow banger's bridge in the forward chain, e.g. sudo nft insert rule " + (drops.isEmpty() ? "ip filter FORWARD" : drops.getFirst())
                + " iifname <bridge> accept" + (docker ? " (with Docker: sudo iptables -I DOCKER-USER -i <bridge> -j ACCEPT)" : "");
        if (net.bridged()) return Finding.fail(summary, facts, fix);
        return Finding.ok(summary + "; " + net.name() + " is unaffected", facts);
    }
}
