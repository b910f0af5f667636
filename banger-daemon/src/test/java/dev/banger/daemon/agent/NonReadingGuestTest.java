package dev.banger.daemon.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8 item 3: a guest whose agent says HELLO and then never reads its channel (hung,
 * hostile or backed up). Exec stdin fills the stream; after that, asking the guest to shut
 * down must give up within its bound and closing the connection must not wait for the
 * blocked write. (The fake agent is a Unix socket server of this test: the real agent
 * always drains its input.)
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NonReadingGuestTest {
    private Path dir;
    private ServerSocketChannel server;
    private SocketChannel guestSide;
    private AgentConnection conn;
    private Thread stdinWriter;
    private final CompletableFuture<Throwable> stdinOutcome = new CompletableFuture<>();

    @BeforeEach
    void guestThatNeverReads() throws Exception {
        dir = Files.createTempDirectory("banger-nonreading");
        Path sock = dir.resolve("agent.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                SocketChannel ch = server.accept();
                // answer the host's first HELLO_REQ (so the HELLO cannot race ahead of awaitHello),
                // then never read again
                FrameCodec.Frame req = FrameCodec.read(ch);
                if (req.type() != FrameCodec.HELLO_REQ) throw new IOException("expected HELLO_REQ, got " + req.type());
                byte[] hello = "{\"agent_version\":\"fake\",\"kernel\":\"k\",\"uptime_ms\":1,\"hostname\":\"h\"}"
                        .getBytes(StandardCharsets.UTF_8);
                ByteBuffer f = FrameCodec.encode(FrameCodec.HELLO, 0, hello);
                while (f.hasRemaining()) ch.write(f);
                return ch;  // and never read from it
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        conn = AgentConnection.connect(sock, Duration.ofSeconds(5));
        assertThat(conn.awaitHello(Duration.ofSeconds(5)).agentVersion()).isEqualTo("fake");
        guestSide = accepted.get(5, TimeUnit.SECONDS);
        ExecSession cat = conn.exec(new ExecRequest(List.of("cat"), Map.of(), "", false, 0, 0), new Collector());
        stdinWriter = Thread.ofVirtual().start(() -> {
            try {
                cat.writeStdin(new byte[16 << 20]);  // far more than the socket and the write queue hold
                stdinOutcome.complete(null);
            } catch (Throwable t) {
                stdinOutcome.complete(t);
            }
        });
        // the stdin writer is stuck once the queue is full and the guest takes nothing more
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (stdinWriter.getState() != Thread.State.WAITING && System.nanoTime() < deadline) Thread.sleep(20);
        Thread.sleep(200);
        assertThat(stdinOutcome).as("stdin is blocked on the guest").isNotDone();
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            if (conn != null) conn.close();
            if (stdinWriter != null) stdinWriter.join(Duration.ofSeconds(5));
        } finally {
            if (guestSide != null) guestSide.close();
            server.close();
            dev.banger.daemon.fs.FileTrees.deleteRecursively(dir);
        }
    }

    @Test
    void shutdownOfAGuestThatStopsReadingGivesUpWithinItsBound() throws Exception {
        long t0 = System.nanoTime();
        CompletableFuture<Boolean> acked = CompletableFuture.supplyAsync(() -> {
            try {
                return conn.shutdown(false);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long boundMs = AgentConnection.SHUTDOWN_BOUND.toMillis();
        assertThat(acked.get(boundMs + 3000, TimeUnit.MILLISECONDS)).as("acknowledged").isFalse();
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(tookMs).isLessThan(boundMs + 1000);
        assertThat(conn.isOpen()).as("the connection is still usable once the guest reads again").isTrue();
    }

    @Test
    void closingTheConnectionDoesNotWaitForTheBlockedWrite() throws Exception {
        long t0 = System.nanoTime();
        CompletableFuture.runAsync(conn::close).get(3, TimeUnit.SECONDS);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2000);
        assertThat(stdinOutcome.get(5, TimeUnit.SECONDS)).as("the blocked stdin write fails").isInstanceOf(IOException.class);
    }
}
