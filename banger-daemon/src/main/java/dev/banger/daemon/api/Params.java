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

    /**
     * A local path from a client: bangerd's working directory is not the caller's, so a relative path
     * would name some other file. The CLI resolves paths before sending them; everything else is refused.
     */
    static java.nio.file.Path absolute(String path, String field) {
        if (path == null || path.isBlank()) throw RpcException.invalid("invalid params: " + field + " is required");
        java.nio.file.Path p = java.nio.file.Path.of(path);
        if (!p.isAbsolute()) throw RpcException.invalid("invalid params: " + field + " must be an absolute path, got " + path);
        return p.normalize();
    }

    static String requireText(JsonNode params, String field) {
        JsonNode v = params.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new RpcException(RpcErrors.INVALID_PARAMS, "invalid params: " + field + " is required");
        }
        return v.asText();
    }
}
