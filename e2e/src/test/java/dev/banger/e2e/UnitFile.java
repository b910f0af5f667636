package dev.banger.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code [Service]} section of a systemd unit, read the way systemd reads the keys a test needs
 * to start the unit's program by hand (systemd.syntax(7), systemd.service(5), systemd.exec(5)):
 * {@code #}/{@code ;} comments, a key repeated gives several values, {@code Environment=} holds
 * whitespace-separated, optionally quoted {@code K=V} words, and {@code ExecStart=} is split into
 * words with quotes and C escapes, no shell. What this parser does not implement (specifiers,
 * {@code $VAR} expansion in {@code ExecStart=}, its {@code -@:+!} prefixes, line continuations) is
 * refused rather than read differently from systemd, so a unit that starts using one fails the test.
 */
record UnitFile(Map<String, List<String>> service) {

    static UnitFile parse(String text) {
        Map<String, List<String>> service = new LinkedHashMap<>();
        String section = "";
        for (String raw : text.split("\n", -1)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) continue;
            if (line.endsWith("\\")) throw new IllegalArgumentException("line continuations are not read here: " + raw);
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1);
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("not a key=value line: " + raw);
            if (!section.equals("Service")) continue;
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            // An empty assignment resets the list (systemd.exec(5)), e.g. "Environment=".
            if (value.isEmpty()) service.remove(key);
            else service.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return new UnitFile(service);
    }

    /** The last value of a single-valued key (a later line overrides an earlier one), or null. */
    String one(String key) {
        List<String> values = service.get(key);
        return values == null ? null : values.getLast();
    }

    /** ExecStart= as systemd builds its argv: one command, split into words, no shell. */
    List<String> execStart() {
        List<String> lines = service.getOrDefault("ExecStart", List.of());
        if (lines.size() != 1) throw new IllegalArgumentException("expected one ExecStart= line, got " + lines);
        String line = lines.getFirst();
        if (line.contains("%")) throw new IllegalArgumentException("specifiers are not expanded here: " + line);
        if (line.contains("$")) throw new IllegalArgumentException("$VAR expansion is not done here: " + line);
        if ("-@:+!".indexOf(line.charAt(0)) >= 0) throw new IllegalArgumentException("ExecStart= prefixes are not handled here: " + line);
        List<String> argv = words(line);
        if (!argv.getFirst().startsWith("/")) throw new IllegalArgumentException("a relative ExecStart= program is looked up by systemd's PATH rules: " + line);
        return argv;
    }

    /** Every Environment= assignment in order, a later one for the same name winning (as systemd does). */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : service.getOrDefault("Environment", List.of())) {
            if (line.contains("%")) throw new IllegalArgumentException("specifiers are not expanded here: " + line);
            for (String word : words(line)) {
                int eq = word.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("not an assignment in Environment=: " + word);
                env.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return env;
    }

    /** A mode key such as {@code RuntimeDirectoryMode=}, as an octal number; systemd's default is 0755. */
    int mode(String key) {
        String v = one(key);
        return v == null ? 0755 : Integer.parseInt(v, 8);
    }

    /** Whitespace-separated words; "…" and '…' group, backslash escapes (\\, \", \', \n, \t, \s) as in systemd.syntax(7). */
    static List<String> words(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (++i == s.length()) throw new IllegalArgumentException("a trailing backslash: " + s);
                char e = s.charAt(i);
                char un = switch (e) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case 's' -> ' ';
                    case '\\', '"', '\'' -> e;
                    default -> throw new IllegalArgumentException("escape \\" + e + " is not read here: " + s);
                };
                if (word == null) word = new StringBuilder();
                word.append(un);
            } else if (quote != 0) {
                if (c == quote) quote = 0;
                else word.append(c);
            } else if (c == '"' || c == '\'') {
                if (word == null) word = new StringBuilder();
                quote = c;
            } else if (Character.isWhitespace(c)) {
                if (word != null) words.add(word.toString());
                word = null;
            } else {
                if (word == null) word = new StringBuilder();
                word.append(c);
            }
        }
        if (quote != 0) throw new IllegalArgumentException("an unterminated quote: " + s);
        if (word != null) words.add(word.toString());
        return words;
    }
}
