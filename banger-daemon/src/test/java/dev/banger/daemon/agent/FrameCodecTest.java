package dev.banger.daemon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private static ReadableByteChannel bytes(byte[] b) {
        return Channels.newChannel(new java.io.ByteArrayInputStream(b));
    }

    private static byte[] array(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    @Test
    void encodeThenReadRoundTrips() throws Exception {
        byte[] wire = array(FrameCodec.encode(FrameCodec.STDOUT, 42, new byte[] {1, 2, 3}));
        assertThat(wire).containsExactly(0, 0, 0, 8, 0x91 - 256, 0, 0, 0, 42, 1, 2, 3);
        FrameCodec.Frame f = FrameCodec.read(bytes(wire));
        assertThat(f.type()).isEqualTo(FrameCodec.STDOUT);
        assertThat(f.channel()).isEqualTo(42);
        assertThat(f.payload()).containsExactly(1, 2, 3);
    }

    @Test
    void readRejectsLengthsOutsideTheCap() {
        byte[] huge = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x91, 0, 0, 0, 1};
        assertThatThrownBy(() -> FrameCodec.read(bytes(huge))).isInstanceOf(ProtocolException.class)
                .hasMessage("agent sent a frame with invalid length 4294967295");
        byte[] tiny = {0, 0, 0, 4, 0x01, 0, 0, 0, 0};
        assertThatThrownBy(() -> FrameCodec.read(bytes(tiny))).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> FrameCodec.read(bytes(header(FrameCodec.MAX_LEN + 1)))).isInstanceOf(ProtocolException.class);
    }

    /**
     * The guest is untrusted: a frame header that claims more than the cap must be refused before
     * a buffer of the claimed size exists, or every bad header costs the daemon a megabyte. Measured
     * with the JVM's per-thread allocation counter over a warmed-up loop; a truncated frame of
     * exactly the cap (which must allocate its payload) shows the counter sees such a buffer.
     */
    @Test
    void readRejectsLengthsOutsideTheCapWithoutAllocatingThePayload() {
        byte[] overCap = header(FrameCodec.MAX_LEN + 1);
        byte[] atCapButTruncated = header(FrameCodec.MAX_LEN);
        long perRejection = bytesAllocatedPerRead(overCap, ProtocolException.class);
        long perTruncated = bytesAllocatedPerRead(atCapButTruncated, EOFException.class);
        assertThat(perTruncated).as("the counter sees a payload-sized buffer").isGreaterThanOrEqualTo(FrameCodec.MAX_PAYLOAD);
        // Header, channel wrapper and the exception with its stack trace: a few KiB at most.
        assertThat(perRejection).as("bytes allocated per refused header").isLessThan(64 * 1024);
    }

    private static byte[] header(int len) {
        return ByteBuffer.allocate(FrameCodec.HEADER).putInt(len).put((byte) FrameCodec.STDOUT).putInt(1).array();
    }

    private static long bytesAllocatedPerRead(byte[] wire, Class<? extends Exception> expected) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        assertThat(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled()).isTrue();
        int rounds = 200;
        for (int warm = 0; warm < 2_000; warm++) readExpecting(wire, expected);
        long tid = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < rounds; i++) readExpecting(wire, expected);
        return (mx.getThreadAllocatedBytes(tid) - before) / rounds;
    }

    private static void readExpecting(byte[] wire, Class<? extends Exception> expected) {
        try {
            FrameCodec.read(bytes(wire));
            throw new AssertionError("read accepted a bad frame");
        } catch (Exception e) {
            if (!expected.isInstance(e)) throw new AssertionError("expected " + expected.getSimpleName(), e);
        }
    }

    @Test
    void readReportsEofAndTruncation() {
        assertThatThrownBy(() -> FrameCodec.read(bytes(new byte[0]))).isInstanceOf(EOFException.class);
        byte[] cut = {0, 0, 0, 9, (byte) 0x91, 0, 0, 0, 1, 'a'};
        assertThatThrownBy(() -> FrameCodec.read(bytes(cut))).isInstanceOf(EOFException.class);
    }

    @Test
    void execPayloadLayout() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("A", "b");
        byte[] p = FrameCodec.execPayload(new ExecRequest(List.of("ls", "-l"), env, "/tmp", true, 24, 80));
        byte[] expected = {1, 0, 24, 0, 80, 0, 2, 'l', 's', 0, '-', 'l', 0, 0, 1, 'A', '=', 'b', 0, '/', 't', 'm', 'p', 0};
        assertThat(p).containsExactly(expected);
    }

    @Test
    void execPayloadRejectsWhatTheWireCannotCarry() {
        assertThatThrownBy(() -> FrameCodec.execPayload(new ExecRequest(List.of("a\0b"), Map.of(), "", false, 0, 0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameCodec.execPayload(new ExecRequest(List.of("x"), Map.of("A=B", "c"), "", false, 0, 0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ExecRequest(List.of(), Map.of(), "", false, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
