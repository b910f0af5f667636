package dev.banger.core.rpc;

/**
 * An error that crosses the socket: code plus a one-line message meant for the user. Code that
 * refuses the caller's input throws {@link #invalid} on purpose; any other exception reaching the
 * RPC edge is answered as {@link RpcErrors#FAILED}, never as invalid input.
 */
public class RpcException extends RuntimeException {
    private final int code;

    public RpcException(int code, String message) {
        super(message);
        this.code = code;
    }

    public RpcException(int code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static RpcException notFound(String message) {
        return new RpcException(RpcErrors.NOT_FOUND, message);
    }

    /** The caller's input is wrong (JSON-RPC invalid params, CLI exit 2). */
    public static RpcException invalid(String message) {
        return new RpcException(RpcErrors.INVALID_PARAMS, message);
    }

    public static RpcException conflict(String message) {
        return new RpcException(RpcErrors.CONFLICT, message);
    }

    public static RpcException failed(String message, Throwable cause) {
        return new RpcException(RpcErrors.FAILED, message, cause);
    }

    public static RpcException cancelled(String message) {
        return new RpcException(RpcErrors.CANCELLED, message);
    }
}
