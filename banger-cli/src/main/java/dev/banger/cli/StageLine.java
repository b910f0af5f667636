package dev.banger.cli;

import java.util.Locale;

/**
 * The text of one stage's line on a terminal, fitted to a width: a mark, the stage, a bar with
 * bytes, rate and ETA when the stage counts bytes, the latest detail (cut to what fits), and the
 * time spent in the stage. Pure: the live view draws it, tests read it.
 */
record StageLine(String mark, String stage, String detail, long elapsedNanos, Long bytesDone, Long bytesTotal, double bytesPerSecond) {
    static final int STAGE_WIDTH = 18;
    static final int BAR_WIDTH = 20;
    private static final double MIB = 1024 * 1024;

    /**
     * At most {@code width - 1} columns (a line filling the last column would wrap on some terminals).
     * The mark, the stage and its time always show; then the bar, if it fits; the detail takes what is left.
     */
    String render(int width) {
        int room = Math.max(1, width - 1);
        String time = " " + duration(elapsedNanos);
        String head = mark + " " + stage;
        if (head.length() + time.length() > room) return fit(head, Math.max(0, room - time.length())) + time;
        String padded = mark + " " + pad(stage, STAGE_WIDTH);
        if (padded.length() + time.length() <= room) head = padded;
        String bytes = bytesDone == null ? "" : " " + bytes();
        if (head.length() + bytes.length() + time.length() > room) bytes = "";
        String left = head + bytes;
        int detailRoom = room - left.length() - time.length() - 1;
        String text = detail == null ? "" : detail.replaceAll("\\p{Cntrl}", " ").strip();
        if (detailRoom > 0 && !text.isEmpty()) left = left + " " + fit(text, detailRoom);
        return left + " ".repeat(Math.max(0, room - left.length() - time.length())) + time;
    }

    private String bytes() {
        StringBuilder b = new StringBuilder();
        if (bytesTotal != null && bytesTotal > 0) {
            int filled = (int) Math.min(BAR_WIDTH, BAR_WIDTH * bytesDone / bytesTotal);
            b.append('[').append("=".repeat(filled));
            if (filled < BAR_WIDTH) b.append('>').append(" ".repeat(BAR_WIDTH - filled - 1));
            b.append("] ").append(mib(bytesDone)).append('/').append(mib(bytesTotal)).append(" MiB");
        } else {
            b.append(mib(bytesDone)).append(" MiB");
        }
        if (bytesPerSecond > 0) {
            b.append(' ').append(mib(bytesPerSecond)).append(" MiB/s");
            if (bytesTotal != null && bytesTotal > bytesDone) {
                b.append(" ETA ").append(duration((long) ((bytesTotal - bytesDone) / bytesPerSecond * 1e9)));
            }
        }
        return b.toString();
    }

    private static String mib(double bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / MIB);
    }

    /** 0.4s, 12.3s, 2m05s, 1h02m. */
    static String duration(long nanos) {
        long ms = Math.max(0, nanos / 1_000_000);
        if (ms < 60_000) return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        long s = ms / 1000;
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static String fit(String s, int width) {
        if (s.length() <= width) return s;
        return width <= 1 ? "" : s.substring(0, width - 1) + "…";
    }
}
