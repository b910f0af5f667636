package dev.banger.daemon.fetch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.core.Json;

/** Catalog documents for the catalog tests. */
public final class TestCatalogs {
    private TestCatalogs() {
    }

    /** A JSON object from alternating keys and values (strings or numbers). */
    public static ObjectNode object(Object... keysAndValues) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            n.set((String) keysAndValues[i], Json.MAPPER.valueToTree(keysAndValues[i + 1]));
        }
        return n;
    }

    /** {"version": version, "&lt;list&gt;": [entries...]} */
    public static String document(int version, String list, ObjectNode... entries) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", version);
        ArrayNode arr = root.putArray(list);
        for (ObjectNode e : entries) {
            arr.add(e);
        }
        return root.toString();
    }
}
