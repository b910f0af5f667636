package dev.banger.daemon.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.api.Method;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.rpc.CallContext;
import dev.banger.daemon.rpc.RpcMethod;
import java.nio.file.Path;
import java.util.Map;

/**
 * Parameter decoding at the edge: each method's params are decoded once, strictly, into its
 * banger-core record; a malformed request (wrong type, unknown member) is invalid params with a
 * one-line reason.
 */
final class Params {
    private Params() { }

    /** A handler that takes its method's params record. */
    @FunctionalInterface
    interface Handler<P, R> {
        R call(P params, CallContext ctx) throws Exception;
    }

    /** Registers {@code handler} under {@code method}'s name, decoding its params record first. */
    static <P, R> void handle(Map<String, RpcMethod> m, Method<P, R> method, Handler<P, R> handler) {
        m.put(method.name(), (json, ctx) -> handler.call(decode(json, method), ctx));
    }

    static <P> P decode(JsonNode params, Method<P, ?> method) {
        try {
            return method.decodeParams(params);
        } catch (Exception e) {
            String why = e instanceof com.fasterxml.jackson.core.JacksonException je ? je.getOriginalMessage() : e.getMessage();
            String msg = why == null ? e.toString() : why.lines().findFirst().orElse("");
            throw RpcException.invalid("invalid params: " + msg);
        }
    }

    /**
     * A local path from a client: bangerd's working directory is not the caller's, so a relative path
     * would name some other file. The CLI resolves paths before sending them; everything else is refused.
     */
    static Path absolute(String path, String field) {
        if (path == null || path.isBlank()) throw RpcException.invalid("invalid params: " + field + " is required");
        Path p = Path.of(path);
        if (!p.isAbsolute()) throw RpcException.invalid("invalid params: " + field + " must be an absolute path, got " + path);
        return p.normalize();
    }

    /** A required text param: present and not blank. */
    static String require(String value, String field) {
        if (value == null || value.isBlank()) throw RpcException.invalid("invalid params: " + field + " is required");
        return value;
    }

    /** An optional text param: null when absent, refused when present but blank. */
    static String optional(String value, String field) {
        if (value != null && value.isBlank()) throw RpcException.invalid("invalid params: " + field + " must be a non-empty string");
        return value;
    }
}
