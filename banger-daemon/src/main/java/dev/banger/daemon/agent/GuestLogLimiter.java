package dev.banger.daemon.agent;

import org.slf4j.Logger;

/**
 * Logs what a guest caused (its error text, malformed frames) without letting the guest flood
 * bangerd.log: a token bucket per connection (a burst of {@code BURST} lines, then one per
 * {@code REFILL_NANOS}), the count of dropped lines reported with the next one that passes, and
 * guest text cut to {@value #MAX_TEXT} characters with control characters (forged log lines)
 * escaped.
 */
final class GuestLogLimiter {
    static final int MAX_TEXT = 200;
    private static final int BURST = 10;
    private static final long REFILL_NANOS = 6_000_000_000L;   // 10 lines a minute once the burst is spent

    private final Logger log;
    private final String who;
    private final java.util.function.LongSupplier clock;
    private double tokens = BURST;
    private long last;
    private long dropped;

    GuestLogLimiter(Logger log, String who) {
        this(log, who, System::nanoTime);
    }

    GuestLogLimiter(Logger log, String who, java.util.function.LongSupplier clock) {
        this.log = log;
        this.who = who;
        this.clock = clock;
        this.last = clock.getAsLong();
    }

    /** message: a constant format with {} placeholders; args: may hold guest text (cleaned here). */
    void warn(String message, Object... args) {
        emit(true, message, args);
    }

    void info(String message, Object... args) {
        emit(false, message, args);
    }

    private synchronized void emit(boolean warn, String message, Object... args) {
        long now = clock.getAsLong();
        tokens = Math.min(BURST, tokens + (now - last) / (double) REFILL_NANOS);
        last = now;
        if (tokens < 1) {
            dropped++;
            return;
        }
        tokens -= 1;
        Object[] clean = new Object[args.length];
        for (int i = 0; i < args.length; i++) clean[i] = args[i] instanceof String s ? clean(s) : args[i];
        String suffix = dropped > 0 ? " (" + dropped + " similar lines from this guest dropped)" : "";
        dropped = 0;
        if (warn) log.warn(who + ": " + message + suffix, clean);
        else log.info(who + ": " + message + suffix, clean);
    }

    static String clean(String guestText) {
        StringBuilder sb = new StringBuilder(Math.min(guestText.length(), MAX_TEXT) + 16);
        for (int i = 0; i < guestText.length() && sb.length() < MAX_TEXT; i++) {
            char c = guestText.charAt(i);
            if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        if (sb.length() >= MAX_TEXT && guestText.length() > MAX_TEXT) sb.append("…(").append(guestText.length()).append(" chars)");
        return sb.toString();
    }
}
