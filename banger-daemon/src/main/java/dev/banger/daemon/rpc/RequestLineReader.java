package dev.banger.daemon.rpc;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a client's byte stream into request lines ({@code \n}-terminated; a last line without
 * one still counts) and never holds more than {@code maxLineBytes} of one line: a client that
 * sends an endless line gets {@link LineTooLong} instead of exhausting the daemon's heap.
 */
final class RequestLineReader {
    /** The line being read passed the limit; the rest of it was not read. */
    static final class LineTooLong extends IOException {
        LineTooLong(int limit) {
            super("request line longer than " + limit + " bytes");
        }
    }

    private static final int CHUNK = 64 * 1024;

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] chunk = new byte[CHUNK];
    private int chunkPos;
    private int chunkEnd;
    private byte[] line;
    private int lineLength;

    RequestLineReader(InputStream in, int maxLineBytes) {
        if (maxLineBytes < 1) throw new IllegalArgumentException("maxLineBytes must be positive: " + maxLineBytes);
        this.in = in;
        this.maxLineBytes = maxLineBytes;
        this.line = new byte[Math.min(8 * 1024, maxLineBytes)];
    }

    /**
     * Reads the next line; false at the end of the stream. The line is then in {@link #line()}
     * (without its newline) for {@link #length()} bytes, valid until the next call.
     */
    boolean next() throws IOException {
        lineLength = 0;
        while (true) {
            if (chunkPos == chunkEnd) {
                int n = in.read(chunk);
                if (n < 0) return lineLength > 0;
                chunkPos = 0;
                chunkEnd = n;
            }
            int newline = indexOf(chunk, chunkPos, chunkEnd, (byte) '\n');
            int stop = newline < 0 ? chunkEnd : newline;
            append(chunkPos, stop - chunkPos);
            chunkPos = newline < 0 ? chunkEnd : newline + 1;
            if (newline >= 0) return true;
        }
    }

    byte[] line() {
        return line;
    }

    int length() {
        return lineLength;
    }

    boolean isBlank() {
        for (int i = 0; i < lineLength; i++) {
            byte b = line[i];
            if (b != ' ' && b != '\t' && b != '\r') return false;
        }
        return true;
    }

    private void append(int from, int n) throws LineTooLong {
        if (n > maxLineBytes - lineLength) throw new LineTooLong(maxLineBytes);
        if (lineLength + n > line.length) {
            // Grow by doubling, but never past the limit: the buffer holds at most maxLineBytes.
            long doubled = Math.max((long) line.length * 2, lineLength + n);
            line = Arrays.copyOf(line, (int) Math.min(doubled, maxLineBytes));
        }
        System.arraycopy(chunk, from, line, lineLength, n);
        lineLength += n;
    }

    private static int indexOf(byte[] b, int from, int to, byte value) {
        for (int i = from; i < to; i++) {
            if (b[i] == value) return i;
        }
        return -1;
    }
}
