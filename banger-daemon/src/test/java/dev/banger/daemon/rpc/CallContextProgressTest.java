package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import dev.banger.core.Json;
import dev.banger.core.ProgressSink;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The progress notes a call sends: a stage's figure when the next begins, and byte counts when a report has them. */
class CallContextProgressTest {
    private final List<JsonNode> sent = new ArrayList<>();
    private final CallContext call = new CallContext(IntNode.valueOf(7), (method, params) -> sent.add(Json.MAPPER.valueToTree(params)));

    @Test
    void bytesGoOnTheNoteAndAnUnknownTotalIsLeftOut() {
        call.report("pull_kernel", "downloading https://example.org/k");
        call.report("pull_kernel", "downloaded 1.0 of 4.0 MiB", 1 << 20, 4 << 20);
        call.report("pull_kernel", "downloaded 2.0 MiB", 2 << 20, -1);
        call.report("finalize", "done");

        assertThat(sent.get(0).has("bytes_done")).isFalse();
        assertThat(sent.get(1).get("bytes_done").asLong()).isEqualTo(1 << 20);
        assertThat(sent.get(1).get("bytes_total").asLong()).isEqualTo(4 << 20);
        assertThat(sent.get(2).get("bytes_done").asLong()).isEqualTo(2 << 20);
        assertThat(sent.get(2).has("bytes_total")).isFalse();
        assertThat(sent.subList(0, 3)).allMatch(n -> !n.has("previous_stage"));
        assertThat(sent.get(3).get("previous_stage").asText()).isEqualTo("pull_kernel");
        assertThat(sent.get(3).has("previous_stage_ms")).isTrue();
    }

    @Test
    void aRelabelledSinkKeepsTheBytesAndFillsInTheTotal() {
        ProgressSink layer = call.relabelled("pull_image", "layer 1/2 ", 300);
        layer.report("ignored", "sha256:abc 100 B", 100, -1);
        assertThat(sent.getFirst().get("stage").asText()).isEqualTo("pull_image");
        assertThat(sent.getFirst().get("detail").asText()).isEqualTo("layer 1/2 sha256:abc 100 B");
        assertThat(sent.getFirst().get("bytes_total").asLong()).isEqualTo(300);
    }
}
