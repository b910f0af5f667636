package dev.banger.roothelper.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** The {@code code} of every response; {@code ok} for success. */
public enum ErrorCode {
    OK,
    /** Not one JSON object of a known op with exactly its fields, or a field failed validation. */
    INVALID_REQUEST,
    /** The request line is longer than the cap; the connection is closed. */
    TOO_LARGE,
    /** The peer's uid is neither the owner's nor root's; the connection is closed. */
    FORBIDDEN,
    /** The host's state forbids it: an overlapping route or address, a name held by something else. */
    CONFLICT,
    /** A bound was reached (ports on the bridge). */
    LIMIT,
    /** The bridge does not exist yet: ensure_bridge first. */
    NO_BRIDGE,
    /** A host command failed; the message carries its first error line. */
    FAILED;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
