package dev.banger.core.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The RPC shapes are a public interface: each method's params and result have a golden JSON file
 * (src/test/resources/rpc/METHOD.params.json and .result.json) that must survive a trip through
 * its core record unchanged, so a renamed, retyped or dropped field fails here; and docs/rpc.md
 * shows, in each method's section, exactly those two documents.
 */
class RpcGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/rpc");
    private static final Path RPC_MD = Path.of("../docs/rpc.md");

    static Stream<Method<?, ?>> methods() {
        return Methods.ALL.stream();
    }

    private static JsonNode golden(Method<?, ?> m, String part) throws IOException {
        return Json.MAPPER.readTree(Files.readString(GOLDEN.resolve(m.name() + "." + part + ".json")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methods")
    void paramsAndResultRoundTripThroughTheirRecordsUnchanged(Method<?, ?> m) throws Exception {
        JsonNode params = golden(m, "params");
        assertThat(written(m.decodeParams(params))).as(m.name() + " params").isEqualTo(params);
        JsonNode result = golden(m, "result");
        assertThat(written(m.decodeResult(result))).as(m.name() + " result").isEqualTo(result);
    }

    /** What the wire carries for this record, read back as a tree (so 5 as an int and 5 as a long compare equal). */
    private static JsonNode written(Object record) throws IOException {
        return Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(record));
    }

    @Test
    void everyGoldenFileBelongsToAMethodAndMethodNamesAreUnique() throws IOException {
        TreeSet<String> expected = new TreeSet<>();
        for (Method<?, ?> m : Methods.ALL) {
            assertThat(expected.add(m.name() + ".params.json")).as(m.name()).isTrue();
            expected.add(m.name() + ".result.json");
        }
        try (Stream<Path> files = Files.list(GOLDEN)) {
            TreeSet<String> present = new TreeSet<>(files.map(p -> p.getFileName().toString()).toList());
            assertThat(present).isEqualTo(expected);
        }
        assertThat(Methods.RPC_METHODS.decodeResult(golden(Methods.RPC_METHODS, "result")))
                .as("the rpc.methods example is the full list").isEqualTo(Methods.ALL.stream().map(Method::name).sorted().toList());
    }

    @Test
    void anUnknownParamIsRefusedNotIgnored() {
        assertThatThrownBy(() -> Methods.VM_STOP.decodeParams(Json.MAPPER.readTree("{\"vm\":\"dev\",\"timeout\":5}")))
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> Methods.VM_LIST.decodeParams(Json.MAPPER.readTree("{\"all\":true}"))).hasMessageContaining("all");
    }

    /** Each {@code ### `method`} section of docs/rpc.md: its {@code json params} and {@code json result} blocks. */
    private static Map<String, Map<String, String>> documentedExamples() throws IOException {
        String doc = Files.readString(RPC_MD);
        Matcher section = Pattern.compile("(?m)^### `([a-z.]+)`$").matcher(doc);
        List<int[]> bounds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (section.find()) {
            names.add(section.group(1));
            bounds.add(new int[] {section.end(), 0});
        }
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            int end = i + 1 < names.size() ? doc.lastIndexOf("### `" + names.get(i + 1) + "`") : doc.length();
            int nextChapter = doc.indexOf("\n## ", bounds.get(i)[0]);
            if (nextChapter >= 0 && nextChapter < end) end = nextChapter;
            String body = doc.substring(bounds.get(i)[0], end);
            Map<String, String> blocks = new LinkedHashMap<>();
            Matcher block = Pattern.compile("(?s)```json (params|result)\\n(.*?)```").matcher(body);
            while (block.find()) assertThat(blocks.put(block.group(1), block.group(2))).as(names.get(i) + " " + block.group(1) + " twice").isNull();
            assertThat(out.put(names.get(i), blocks)).as(names.get(i) + " documented twice").isNull();
        }
        return out;
    }

    @Test
    void docsShowEachMethodsGoldenParamsAndResult() throws IOException {
        Map<String, Map<String, String>> documented = documentedExamples();
        assertThat(documented.keySet()).containsExactlyElementsOf(Methods.ALL.stream().map(Method::name).toList());
        for (Method<?, ?> m : Methods.ALL) {
            for (String part : List.of("params", "result")) {
                String example = documented.get(m.name()).get(part);
                assertThat(example).as(m.name() + ": no ```json " + part + " block in docs/rpc.md").isNotNull();
                assertThat(Json.MAPPER.readTree(example)).as(m.name() + " " + part + " in docs/rpc.md").isEqualTo(golden(m, part));
            }
        }
    }
}
