package dev.banger.roothelper.dns;

import dev.banger.roothelper.api.DnsRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The marked block of {@code <name>.vm} lines in a hosts file, as text: everything outside the block
 * is kept byte for byte (the text is read as ISO-8859-1, so any bytes round-trip), the block is
 * replaced in place, appended when missing, and removed when there are no records.
 */
public final class HostsBlock {
    public static final String BEGIN = "# BEGIN banger (written by banger-roothelper: <name>.vm of the live VMs; edits here are lost)";
    public static final String END = "# END banger";
    private static final String BEGIN_PREFIX = "# BEGIN banger";
    /** A line we wrote: an unterminated block (a hand edit that removed END) ends at the last of these. */
    private static final Pattern OUR_LINE = Pattern.compile("^[0-9.]+ [a-z0-9-]+\\.vm$");

    private HostsBlock() { }

    /** {@code hosts} with the block holding exactly {@code records} (sorted by name, so the text is stable). */
    public static String rewrite(String hosts, List<DnsRecord> records) {
        List<String> lines = splitKeepingTerminators(hosts);
        int begin = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = strip(lines.get(i));
            if (begin < 0 && line.startsWith(BEGIN_PREFIX)) {
                begin = i;
            } else if (begin >= 0 && line.equals(END)) {
                end = i;
                break;
            }
        }
        if (begin >= 0 && end < 0) {
            end = begin;
            while (end + 1 < lines.size() && OUR_LINE.matcher(strip(lines.get(end + 1))).matches()) {
                end++;
            }
        }
        String block = block(records);
        StringBuilder out = new StringBuilder();
        if (begin < 0) {
            out.append(hosts);
            if (!block.isEmpty() && !hosts.isEmpty() && !hosts.endsWith("\n")) {
                out.append('\n');
            }
            return out.append(block).toString();
        }
        lines.subList(0, begin).forEach(out::append);
        out.append(block);
        lines.subList(end + 1, lines.size()).forEach(out::append);
        return out.toString();
    }

    private static String block(List<DnsRecord> records) {
        if (records.isEmpty()) {
            return "";
        }
        StringBuilder block = new StringBuilder(BEGIN).append('\n');
        records.stream().sorted(Comparator.comparing(DnsRecord::name))
                .forEach(r -> block.append(r.address()).append(' ').append(r.name()).append('.').append(DnsZone.DOMAIN).append('\n'));
        return block.append(END).append('\n').toString();
    }

    private static List<String> splitKeepingTerminators(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int newline = text.indexOf('\n', start);
            int stop = newline < 0 ? text.length() : newline + 1;
            lines.add(text.substring(start, stop));
            start = stop;
        }
        return lines;
    }

    private static String strip(String line) {
        return line.endsWith("\n") ? line.substring(0, line.length() - 1).stripTrailing() : line.stripTrailing();
    }
}
