package dev.banger.core.model;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them for {@code --idle-stop}: {@code 90s}, {@code 30m}, {@code 2h}, or a
 * sum such as {@code 1h30m}. Whole seconds; at least one second, at most 30 days. {@code off} (or
 * {@code 0}) is no duration at all, and parses to 0.
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+)([hms])");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+[hms])+");
    public static final long MAX_SECONDS = 30L * 24 * 3600;

    private Durations() { }

    /** Seconds; 0 for {@code off} or {@code 0}. Throws IllegalArgumentException with a one-line reason. */
    public static long parseSeconds(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("duration must not be empty");
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("off") || t.equals("0")) return 0;
        if (!WHOLE.matcher(t).matches()) {
            throw new IllegalArgumentException("unparseable duration \"" + text + "\": use e.g. 90s, 30m, 2h or 1h30m (or off)");
        }
        long total = 0;
        Matcher m = PART.matcher(t);
        while (m.find()) {
            long n;
            try {
                n = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("duration out of range: " + text);
            }
            long unit = switch (m.group(2)) {
                case "h" -> 3600;
                case "m" -> 60;
                default -> 1;
            };
            if (n > MAX_SECONDS) throw new IllegalArgumentException("duration out of range: " + text + " (at most 30 days)");
            total += n * unit;
            if (total > MAX_SECONDS) throw new IllegalArgumentException("duration out of range: " + text + " (at most 30 days)");
        }
        if (total == 0) throw new IllegalArgumentException("duration must be positive (or off): " + text);
        return total;
    }

    /** The shortest spelling: 20s, 30m, 2h, 1h30m, 1h0m5s. */
    public static String format(long seconds) {
        if (seconds <= 0) return "off";
        long h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60;
        StringBuilder b = new StringBuilder();
        if (h > 0) b.append(h).append('h');
        if (m > 0 || (h > 0 && s > 0)) b.append(m).append('m');
        if (s > 0) b.append(s).append('s');
        return b.toString();
    }
}
