package dev.banger.daemon.agent;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Encoding and decoding of agent frames: {@code u32 len | u8 type | u32 channel | payload},
 * big-endian, where len counts type + channel + payload. See docs/agent-protocol.md.
 */
final class FrameCodec {
    static final int HELLO_REQ = 0x01;
    static final int EXEC = 0x10;
    static final int STDIN = 0x11;
    static final int RESIZE = 0x12;
    static final int SIGNAL = 0x13;
    static final int SHUTDOWN = 0x20;
    static final int HELLO = 0x81;
    static final int STARTED = 0x90;
    static final int STDOUT = 0x91;
    static final int STDERR = 0x92;
    static final int EXIT = 0x93;
    static final int EXEC_ERROR = 0x94;
    static final int STDIN_ACK = 0x95;
    static final int OUTPUT_ACK = 0x14;
    static final int SHUTDOWN_ACK = 0xA0;
    static final int ERROR = 0xFF;

    static final int HEADER = 9;
    static final int MIN_LEN = 5;
    static final int MAX_PAYLOAD = 1 << 20;
    static final int MAX_LEN = MIN_LEN + MAX_PAYLOAD;

    private static final byte[] EMPTY = new byte[0];

    record Frame(int type, int channel, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int int32() throws ProtocolException {
            if (payload.length != 4) {
                throw new ProtocolException("frame 0x" + Integer.toHexString(type) + " needs a 4-byte payload");
            }
            return ByteBuffer.wrap(payload).getInt();
        }
    }

    private FrameCodec() { }

    static ByteBuffer encode(int type, int channel, byte[] payload) {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
        b.putInt(MIN_LEN + payload.length).put((byte) type).putInt(channel).put(payload);
        return b.flip();
    }

    static ByteBuffer encode(int type, int channel) {
        return encode(type, channel, EMPTY);
    }

    /** Reads one frame; EOFException on a clean end of stream. The guest is untrusted: bad lengths are fatal. */
    static Frame read(ReadableByteChannel in) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        if (!readFully(in, header, true)) {
            throw new EOFException("agent closed the connection");
        }
        header.flip();
        int len = header.getInt();
        int type = header.get() & 0xFF;
        int channel = header.getInt();
        if (len < MIN_LEN || len > MAX_LEN) {
            throw new ProtocolException("agent sent a frame with invalid length " + Integer.toUnsignedString(len));
        }
        ByteBuffer payload = ByteBuffer.allocate(len - MIN_LEN);
        readFully(in, payload, false);
        return new Frame(type, channel, payload.array());
    }

    /** Returns false only for EOF before the first byte when {@code eofOk}. */
    private static boolean readFully(ReadableByteChannel in, ByteBuffer b, boolean eofOk) throws IOException {
        boolean first = true;
        while (b.hasRemaining()) {
            if (in.read(b) < 0) {
                if (first && eofOk && b.position() == 0) {
                    return false;
                }
                throw new EOFException("agent closed the connection mid-frame");
            }
            first = false;
        }
        return true;
    }

    static final int EXEC_FLAG_CREDIT = 0x02;

    static byte[] execPayload(ExecRequest r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((r.tty() ? 1 : 0) | (r.credited() ? EXEC_FLAG_CREDIT : 0));
        writeU16(out, r.rows());
        writeU16(out, r.cols());
        writeU16(out, count(r.argv().size(), "argv"));
        for (String a : r.argv()) {
            writeCString(out, a);
        }
        writeU16(out, count(r.env().size(), "env"));
        for (Map.Entry<String, String> e : r.env().entrySet()) {
            if (e.getKey().isEmpty() || e.getKey().indexOf('=') >= 0) {
                throw new IllegalArgumentException("bad environment variable name: " + e.getKey());
            }
            writeCString(out, e.getKey() + "=" + e.getValue());
        }
        writeCString(out, r.cwd());
        if (out.size() > MAX_PAYLOAD) {
            throw new IllegalArgumentException("exec request too large: " + out.size() + " bytes");
        }
        return out.toByteArray();
    }

    static byte[] resizePayload(int rows, int cols) {
        if (rows < 0 || rows > 0xFFFF || cols < 0 || cols > 0xFFFF) {
            throw new IllegalArgumentException("rows/cols out of range: " + rows + "x" + cols);
        }
        return new byte[] {(byte) (rows >> 8), (byte) rows, (byte) (cols >> 8), (byte) cols};
    }

    private static int count(int n, String what) {
        if (n > 0xFFFF) {
            throw new IllegalArgumentException("too many " + what + " entries: " + n);
        }
        return n;
    }

    private static void writeU16(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v);
    }

    private static void writeCString(ByteArrayOutputStream out, String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("string contains NUL: " + s.replace('\0', '?'));
        }
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }
}
