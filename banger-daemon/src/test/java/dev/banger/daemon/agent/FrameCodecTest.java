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
    void readRejectsLengthsOutsideTheCapWithoutAllocating() {
        byte[] huge = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x91, 0, 0, 0, 1};
        assertThatThrownBy(() -> FrameCodec.read(bytes(huge))).isInstanceOf(ProtocolException.class);
        byte[] tiny = {0, 0, 0, 4, 0x01, 0, 0, 0, 0};
        assertThatThrownBy(() -> FrameCodec.read(bytes(tiny))).isInstanceOf(ProtocolException.class);
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
