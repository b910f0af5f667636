package dev.banger.daemon.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;

/** Parameter decoding at the edge: a malformed request becomes INVALID_PARAMS with a one-line reason. */
final class Params {
    private Params() { }

    static <T> T decode(JsonNode params, Class<T> type) {
        try {
            return Json.MAPPER.treeToValue(params, type);
        } catch (Exception e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new RpcException(RpcErrors.INVALID_PARAMS, "invalid params: " + msg);
        }
    }

    static String requireText(JsonNode params, String field) {
        JsonNode v = params.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new RpcException(RpcErrors.INVALID_PARAMS, "invalid params: " + field + " is required");
        }
        return v.asText();
    }
}
