package dev.banger.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * What a terminal would show after some output: enough of a VT100 for what JLine's Display sends
 * to an xterm (CR, LF, BS, cursor moves, erase in line/display, insert/delete characters), so tests
 * read the screen rather than JLine's minimal diffs.
 */
final class TestScreen {
    private final List<StringBuilder> rows = new ArrayList<>();
    private int row;
    private int col;

    static List<String> of(String output) {
        TestScreen s = new TestScreen();
        s.feed(output);
        return s.rows.stream().map(b -> b.toString().stripTrailing()).toList();
    }

    private StringBuilder line() {
        while (rows.size() <= row) rows.add(new StringBuilder());
        return rows.get(row);
    }

    private void feed(String out) {
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            switch (c) {
                case '\r' -> col = 0;
                case '\n' -> row++;
                case '\b' -> col = Math.max(0, col - 1);
                case '\u0007' -> { }
                case '\u001b' -> i = escape(out, i + 1);
                default -> put(c);
            }
        }
    }

    private void put(char c) {
        StringBuilder l = line();
        while (l.length() < col) l.append(' ');
        if (col < l.length()) l.setCharAt(col, c);
        else l.append(c);
        col++;
    }

    /** Applies the sequence starting after ESC at i; returns the index of its last character. */
    private int escape(String out, int i) {
        if (i >= out.length()) return i;
        if (out.charAt(i) != '[') return i;   // a two-character sequence: nothing a screen keeps
        int j = i + 1;
        while (j < out.length() && "0123456789;?".indexOf(out.charAt(j)) >= 0) j++;
        String params = out.substring(i + 1, j).replace("?", "");
        int n = params.isEmpty() ? 1 : Integer.parseInt(params.split(";")[0].isEmpty() ? "1" : params.split(";")[0]);
        char op = out.charAt(j);
        StringBuilder l = line();
        switch (op) {
            case 'A' -> row = Math.max(0, row - n);
            case 'B' -> row += n;
            case 'C' -> col += n;
            case 'D' -> col = Math.max(0, col - n);
            case 'G' -> col = n - 1;
            case 'K' -> { if (col < l.length()) l.setLength(col); }
            case 'J' -> {
                if (col < l.length()) l.setLength(col);
                while (rows.size() > row + 1) rows.removeLast();
            }
            case '@' -> { while (l.length() < col) l.append(' '); l.insert(col, " ".repeat(n)); }
            case 'P' -> { if (col < l.length()) l.delete(col, Math.min(l.length(), col + n)); }
            default -> { }   // colours, modes
        }
        return j;
    }
}
