package dev.banger.roothelper.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One response line per request: {@code {"code":"ok","message":"","result":{...}}}, or an error code
 * with a one-line message and no result.
 */
public record HelperResponse(ErrorCode code, String message, JsonNode result) {
    public static HelperResponse ok(JsonNode result) {
        return new HelperResponse(ErrorCode.OK, "", result);
    }

    public static HelperResponse error(ErrorCode code, String message) {
        return new HelperResponse(code, message, null);
    }
}
