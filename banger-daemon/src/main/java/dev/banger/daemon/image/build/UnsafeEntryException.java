package dev.banger.daemon.image.build;

import java.io.IOException;

/** A tar entry that cannot be extracted without escaping the root or breaking the debugfs command file. */
public final class UnsafeEntryException extends IOException {
    private final String entryName;
    private final String reason;

    public UnsafeEntryException(String entryName, String reason) {
        super("unsafe tar entry " + printable(entryName) + ": " + reason);
        this.entryName = entryName;
        this.reason = reason;
    }

    public String entryName() {
        return entryName;
    }

    public String reason() {
        return reason;
    }

    /** The same refusal, naming the image layer the entry came from. */
    public UnsafeEntryException inLayer(String layerDigest) {
        UnsafeEntryException e = new UnsafeEntryException(entryName, reason + " (in layer " + layerDigest + ")");
        e.initCause(this);
        return e;
    }

    // The name may itself contain the control characters we are refusing; never echo them raw into logs.
    private static String printable(String name) {
        if (name == null) {
            return "<null>";
        }
        StringBuilder sb = new StringBuilder("'");
        name.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f) {
                sb.append(String.format("\\x%02x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append('\'').toString();
    }
}
