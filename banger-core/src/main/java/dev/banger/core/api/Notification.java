package dev.banger.core.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.IOException;

/**
 * One JSON-RPC notification: its name and the record of its params. Both directions read through
 * it (bangerd's progress and exec output, the CLI's exec stdin and resize), so neither side spells a
 * field name by hand. Read leniently: a newer peer may add fields.
 */
public record Notification<T>(String name, Class<T> type) {
    public T decode(JsonNode params) throws IOException {
        return Json.MAPPER.treeToValue(params, type);
    }
}
