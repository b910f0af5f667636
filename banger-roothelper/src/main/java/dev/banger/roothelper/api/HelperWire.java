package dev.banger.roothelper.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.banger.core.Json;

/**
 * The encoding of requests and responses, shared by the helper and its clients. Requests are read
 * strictly (banger-core's mapper is lenient for its own RPC, so this reader turns the strict
 * features on): an unknown field, a duplicate key, a missing or unknown {@code op}, or trailing
 * text is an {@code invalid_request}.
 */
public final class HelperWire {
    /** The longest request line accepted, newline excluded. Longer lines are refused unread. */
    public static final int MAX_REQUEST_BYTES = 64 * 1024;

    private static final ObjectReader REQUESTS = Json.MAPPER.readerFor(HelperRequest.class)
            .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .with(DeserializationFeature.FAIL_ON_MISSING_EXTERNAL_TYPE_ID_PROPERTY)
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ObjectWriter REQUEST_WRITER = Json.MAPPER.writerFor(HelperRequest.class);
    private static final ObjectReader RESPONSES = Json.MAPPER.readerFor(HelperResponse.class);

    private HelperWire() { }

    /** Parses one request line, or throws {@code invalid_request} with a one-line reason. */
    public static HelperRequest decodeRequest(String line) {
        try {
            HelperRequest request = REQUESTS.readValue(line);
            if (request == null) {
                throw new HelperException(ErrorCode.INVALID_REQUEST, "a request is one JSON object");
            }
            return request;
        } catch (UnrecognizedPropertyException e) {
            throw new HelperException(ErrorCode.INVALID_REQUEST, "unknown field \"" + e.getPropertyName() + "\"");
        } catch (InvalidTypeIdException e) {
            throw new HelperException(ErrorCode.INVALID_REQUEST,
                    "\"op\" must be one of ensure_bridge, create_tap, delete_tap, enable_nat, disable_nat, set_dns_records, reconcile, version, remove_host_state");
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new HelperException(ErrorCode.INVALID_REQUEST, String.valueOf(cause.getMessage()));
        } catch (JsonProcessingException e) {
            throw new HelperException(ErrorCode.INVALID_REQUEST, "not a valid request: " + e.getOriginalMessage());
        }
    }

    public static String encodeRequest(HelperRequest request) {
        return write(REQUEST_WRITER, request);
    }

    /** The request's validated fields as JSON, without {@code op}: what the audit log records. */
    public static String arguments(HelperRequest request) {
        com.fasterxml.jackson.databind.node.ObjectNode fields = Json.MAPPER.valueToTree(request);
        fields.remove("op");
        return fields.toString();
    }

    public static String encodeResponse(HelperResponse response) {
        return write(Json.MAPPER.writer(), response);
    }

    public static HelperResponse decodeResponse(String line) {
        try {
            return RESPONSES.readValue(line);
        } catch (JsonProcessingException e) {
            throw new HelperException(ErrorCode.FAILED, "unreadable helper response: " + e.getOriginalMessage());
        }
    }

    public static JsonNode toTree(Object result) {
        return Json.MAPPER.valueToTree(result);
    }

    public static <T> T fromTree(JsonNode node, Class<T> type) {
        try {
            return Json.MAPPER.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw new HelperException(ErrorCode.FAILED, "unreadable helper result: " + e.getOriginalMessage());
        }
    }

    private static String write(ObjectWriter writer, Object value) {
        try {
            return writer.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }
}
