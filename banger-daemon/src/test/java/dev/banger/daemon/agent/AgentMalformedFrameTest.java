package dev.banger.daemon.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Raw frames against the real agent: every malformed frame gets an ERROR and the agent keeps serving. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AgentMalformedFrameTest {

    /** A raw protocol peer: writes bytes, reads frames on a virtual thread. */
    private static final class Raw {
        final SocketChannel ch;
        final BlockingQueue<FrameCodec.Frame> frames = new LinkedBlockingQueue<>();

        Raw(SocketChannel ch) {
            this.ch = ch;
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        frames.add(FrameCodec.read(ch));
                    }
                } catch (IOException e) {
                    // connection closed by the test
                }
            });
        }

        void write(ByteBuffer b) {
            try {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        FrameCodec.Frame next(int type) throws InterruptedException {
            while (true) {
                FrameCodec.Frame f = frames.poll(5, TimeUnit.SECONDS);
                assertThat(f).as("expected frame 0x%s", Integer.toHexString(type)).isNotNull();
                if (f.type() == type) {
                    return f;
                }
                assertThat(f.type()).as("unexpected frame %s", f).isEqualTo(FrameCodec.HELLO);
            }
        }
    }

    private static ByteBuffer header(int len, int type, int channel) {
        return ByteBuffer.allocate(9).putInt(len).put((byte) type).putInt(channel).flip();
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("unknown type", 0, (Consumer<Raw>) r -> r.write(FrameCodec.encode(0x77, 0))),
                Arguments.of("length below 5", 0, (Consumer<Raw>) r -> r.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 2}))),
                Arguments.of("oversized length", 4, (Consumer<Raw>) r -> {
                    int len = FrameCodec.MAX_LEN + 1000;
                    r.write(header(len, FrameCodec.STDIN, 4));
                    r.write(ByteBuffer.allocate(len - 5));  // streamed away by the agent
                }),
                Arguments.of("truncated exec payload", 7, (Consumer<Raw>) r ->
                        r.write(FrameCodec.encode(FrameCodec.EXEC, 7, new byte[] {0, 0, 24, 0, 80, 0, 2, 'l', 's', 0}))),
                Arguments.of("stdin for unknown channel", 9, (Consumer<Raw>) r ->
                        r.write(FrameCodec.encode(FrameCodec.STDIN, 9, new byte[] {'x'}))),
                Arguments.of("resize payload too short", 0, (Consumer<Raw>) r ->
                        r.write(FrameCodec.encode(FrameCodec.RESIZE, 0, new byte[] {1}))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedFrameYieldsErrorAndAgentKeepsServing(String name, int channel, Consumer<Raw> send) throws Exception {
        try (AgentProcess agent = AgentProcess.start()) {
            Raw raw = new Raw(agent.socket());
            raw.next(FrameCodec.HELLO);  // the unsolicited one sent on connect

            send.accept(raw);
            FrameCodec.Frame error = raw.next(FrameCodec.ERROR);
            assertThat(error.channel()).isEqualTo(channel);
            assertThat(error.text()).isNotBlank();

            raw.write(FrameCodec.encode(FrameCodec.HELLO_REQ, 0));
            assertThat(raw.next(FrameCodec.HELLO).text()).contains("\"agent_version\":\"0.1.0\"");
        }
    }
}
