package dev.banger.core.rpc;

/** An error that crosses the socket: code plus a one-line message meant for the user. */
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

    public static RpcException invalid(String message) {
        return new RpcException(RpcErrors.INVALID_ARGUMENT, message);
    }

    public static RpcException conflict(String message) {
        return new RpcException(RpcErrors.CONFLICT, message);
    }
}
