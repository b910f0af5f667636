package dev.banger.core.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Notifications are as public as methods: each has a golden params file
 * (src/test/resources/rpc-notifications/NAME.json) that survives a trip through its record unchanged,
 * and docs/rpc.md's "Notifications" section shows exactly that document in a {@code json notification NAME} block.
 */
class NotificationGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/rpc-notifications");
    private static final Path RPC_MD = Path.of("../docs/rpc.md");

    static Stream<Notification<?>> notifications() {
        return Notifications.ALL.stream();
    }

    private static JsonNode golden(Notification<?> n) throws IOException {
        return Json.MAPPER.readTree(Files.readString(GOLDEN.resolve(n.name() + ".json")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notifications")
    void paramsRoundTripThroughTheirRecordUnchanged(Notification<?> n) throws Exception {
        JsonNode params = golden(n);
        assertThat(Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(n.decode(params)))).as(n.name()).isEqualTo(params);
    }

    @Test
    void everyGoldenFileBelongsToANotification() throws IOException {
        TreeSet<String> expected = new TreeSet<>();
        for (Notification<?> n : Notifications.ALL) assertThat(expected.add(n.name() + ".json")).as(n.name()).isTrue();
        try (Stream<Path> files = Files.list(GOLDEN)) {
            assertThat(new TreeSet<>(files.map(p -> p.getFileName().toString()).toList())).isEqualTo(expected);
        }
    }

    @Test
    void docsShowEachNotificationsGoldenParams() throws IOException {
        Matcher block = Pattern.compile("(?s)```json notification ([a-z._]+)\\n(.*?)```").matcher(Files.readString(RPC_MD));
        Map<String, String> documented = new LinkedHashMap<>();
        while (block.find()) assertThat(documented.put(block.group(1), block.group(2))).as(block.group(1) + " twice").isNull();
        assertThat(documented.keySet()).containsExactlyElementsOf(Notifications.ALL.stream().map(Notification::name).toList());
        for (Notification<?> n : Notifications.ALL) {
            assertThat(Json.MAPPER.readTree(documented.get(n.name()))).as(n.name() + " in docs/rpc.md").isEqualTo(golden(n));
        }
    }
}
