package dev.banger.core.rpc;

/** JSON-RPC error codes: the standard ones plus banger's application range. Documented in docs/rpc.md. */
public final class RpcErrors {
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL = -32603;
    /** The request was understood but refused: bad value, unknown VM, duplicate name, wrong state. */
    public static final int INVALID_ARGUMENT = -32001;
    public static final int NOT_FOUND = -32002;
    public static final int CONFLICT = -32003;
    /** The operation ran and failed (boot failure, tool error). */
    public static final int FAILED = -32010;
    public static final int CANCELLED = -32011;

    private RpcErrors() { }
}
