package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;

/** One RPC method. The returned object is serialised as the JSON-RPC result. */
@FunctionalInterface
public interface RpcMethod {
    Object call(JsonNode params, CallContext ctx) throws Exception;
}
