package dev.banger.daemon.kernel;

import java.io.IOException;

/** A kernel bundle holds an entry that a bundle may not hold; nothing of the bundle is kept. */
public final class BundleEntryException extends IOException {
    private final String entry;

    BundleEntryException(String entry, String reason) {
        super("kernel bundle entry '" + printable(entry) + "': " + reason);
        this.entry = entry;
    }

    public String entry() {
        return entry;
    }

    static String printable(String s) {
        if (s == null) {
            return "(null)";
        }
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> b.append(c >= 0x20 && c != 0x7F ? Character.toString(c) : String.format("\\u%04x", c)));
        return b.toString();
    }
}
