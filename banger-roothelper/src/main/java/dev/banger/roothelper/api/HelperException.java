package dev.banger.roothelper.api;

/** A refused or failed operation: its code and a one-line message, as the response carries them. */
public final class HelperException extends RuntimeException {
    private final ErrorCode code;

    public HelperException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
