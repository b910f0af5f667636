package dev.banger.roothelper.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.banger.core.Json;
import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import java.util.List;

/** The {@code nft} tool: reads the whole ruleset as JSON and applies atomic batches on stdin ({@code nft -f -}). */
final class Nft {
    private final HostCommands commands;

    Nft(HostCommands commands) {
        this.commands = commands;
    }

    NftRuleset ruleset() {
        HostCommands.CommandResult result = commands.run(List.of("nft", "-j", "list", "ruleset"), "");
        if (!result.ok()) {
            throw new HelperException(ErrorCode.FAILED, "nft -j list ruleset: " + result.firstErrorLine());
        }
        try {
            return NftRuleset.parse(Json.MAPPER.readTree(result.stdout().isBlank() ? "{}" : result.stdout()));
        } catch (JsonProcessingException e) {
            throw new HelperException(ErrorCode.FAILED, "nft -j list ruleset: unreadable JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * One transaction in nft's JSON syntax ({@code nft -j -f -}), for changes to other tables: their
     * names go in as JSON strings, so a chain named like a keyword ({@code fwd}) or {@code DOCKER-USER}
     * needs no quoting rules (nft 1.0.6 rejects quoted table names in its text syntax).
     */
    void applyJson(List<com.fasterxml.jackson.databind.JsonNode> commands) {
        var root = Json.MAPPER.createObjectNode();
        root.putArray("nftables").addAll(commands);
        String batch;
        try {
            batch = Json.MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        HostCommands.CommandResult result = this.commands.run(List.of("nft", "-j", "-f", "-"), batch);
        if (!result.ok()) {
            throw new HelperException(ErrorCode.FAILED, "nft -j -f -: " + result.firstErrorLine());
        }
    }

    /** One transaction: the kernel applies every line of {@code batch} or none. */
    void apply(String batch) {
        HostCommands.CommandResult result = commands.run(List.of("nft", "-f", "-"), batch);
        if (!result.ok()) {
            throw new HelperException(ErrorCode.FAILED, "nft -f -: " + result.firstErrorLine());
        }
    }
}
