package dev.banger.core.rpc;

/**
 * JSON-RPC error codes: the standard ones plus banger's application range. One code per kind of
 * error, each with one CLI exit status (the table in docs/cli.md; the codes in docs/rpc.md).
 */
public final class RpcErrors {
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    /** The caller's input is wrong: a malformed or missing param, a bad value, a bad name. Only ever raised on purpose. */
    public static final int INVALID_PARAMS = -32602;
    /** A bug or a broken environment inside bangerd (store error, a JVM Error). */
    public static final int INTERNAL = -32603;
    /** The VM, image or kernel named does not exist. */
    public static final int NOT_FOUND = -32002;
    /** Refused because of the current state: duplicate name, wrong VM state, in use, already pulled. */
    public static final int CONFLICT = -32003;
    /** The operation ran and failed (boot failure, tool error, network), or an unexpected exception. */
    public static final int FAILED = -32010;
    /** The call was cancelled (the caller went away or interrupted it). */
    public static final int CANCELLED = -32011;

    private RpcErrors() { }
}
