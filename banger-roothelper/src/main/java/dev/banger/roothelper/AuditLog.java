package dev.banger.roothelper;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per call: who (peer uid), what (op and its validated arguments), the result code and
 * message, and how long it took. The time stamp comes from the log pattern ({@link RootHelper}
 * sends this logger to the audit file). Text that came from a peer is escaped to one line.
 */
final class AuditLog {
    static final String LOGGER = "dev.banger.roothelper.audit";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    private static final int MAX_FIELD = 300;

    void call(String peerUid, String op, String arguments, String code, String message, Duration duration) {
        LOG.info("peer={} op={} args={} result={} duration_ms={} message={}", oneLine(peerUid), op, oneLine(arguments),
                code, String.format("%.2f", duration.toNanos() / 1e6), oneLine(message));
    }

    /** Control characters (newlines above all) escaped, and capped, so one call is one line whatever a peer sent. */
    static String oneLine(String text) {
        if (text == null || text.isEmpty()) {
            return "-";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < MAX_FIELD; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (out.length() >= MAX_FIELD) {
            out.append('…');
        }
        return out.toString();
    }
}
