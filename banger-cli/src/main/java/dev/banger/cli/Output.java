package dev.banger.cli;

import dev.banger.core.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Tables for people, JSON for scripts (the JSON is exactly the RPC result: a public interface). */
final class Output {
    private Output() { }

    /** An RPC result (its core record, or a list of them) as the JSON the daemon sent: --json output. */
    static void json(PrintStream out, Object result) throws IOException {
        out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }

    static void table(PrintStream out, List<String> headers, List<List<String>> rows) {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < headers.size(); i++) widths[i] = headers.get(i).length();
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) widths[i] = Math.max(widths[i], row.get(i).length());
        }
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        StringBuilder sb = new StringBuilder();
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                sb.append(row.get(i));
                if (i < row.size() - 1) sb.append(" ".repeat(widths[i] - row.get(i).length() + 2));
            }
            sb.append('\n');
        }
        out.print(sb);
    }

    /** One line of a summary: {@code key: value}. A null value means "does not apply": the line is left out. */
    record Field(String key, String value) { }

    /** A summary for people ({@code show} without --json): one aligned {@code key: value} line per field that applies. */
    static void fields(PrintStream out, List<Field> fields) {
        List<Field> shown = fields.stream().filter(f -> f.value() != null && !f.value().isEmpty()).toList();
        int width = shown.stream().mapToInt(f -> f.key().length()).max().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (Field f : shown) sb.append(f.key()).append(':').append(" ".repeat(width - f.key().length() + 1)).append(f.value()).append('\n');
        out.print(sb);
    }

    /** A value for a table cell: "-" when it does not apply. */
    static String text(Object value) {
        return value == null ? "-" : value.toString();
    }
}
