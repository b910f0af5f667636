package dev.banger.roothelper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads newline-terminated request lines from a peer with a hard cap. A line longer than the cap
 * is reported as soon as the cap is passed, without reading (or holding) the rest of it.
 */
final class RequestLines {
    sealed interface Line permits Text, TooLong, NotUtf8 { }

    record Text(String text) implements Line { }

    record TooLong(int limit) implements Line { }

    record NotUtf8() implements Line { }

    private final InputStream in;
    private final int limit;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int filled;

    RequestLines(InputStream in, int limit) {
        this.in = in;
        this.limit = limit;
    }

    /** The next line, or null at end of stream (a last line without its newline is dropped: a half-sent request). */
    Line next() throws IOException {
        byte[] line = new byte[Math.min(limit, 1024)];
        int length = 0;
        while (true) {
            if (position == filled) {
                filled = in.read(buffer);
                position = 0;
                if (filled <= 0) {
                    filled = 0;
                    return null;
                }
            }
            byte b = buffer[position++];
            if (b == '\n') {
                return decode(line, length);
            }
            if (length == limit) {
                return new TooLong(limit);
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, Math.min(limit, line.length * 2));
            }
            line[length++] = b;
        }
    }

    private static Line decode(byte[] bytes, int length) {
        try {
            return new Text(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length)).toString());
        } catch (CharacterCodingException e) {
            return new NotUtf8();
        }
    }
}
