package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A client that speaks the wire format by hand, the way nc or socat would: it writes raw bytes,
 * can half-close, can stop reading, and sees exactly what the server writes (including EOF).
 */
final class RawRpcClient implements AutoCloseable {
    /** What the reader saw: a line, the end of the stream, or a read error. */
    record Event(String line, boolean eof, IOException error) { }

    private final SocketChannel ch;
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private Thread reader;

    private RawRpcClient(SocketChannel ch) {
        this.ch = ch;
    }

    /** Connects and reads everything the server sends on a background thread. */
    static RawRpcClient connect(Path socket) throws IOException {
        RawRpcClient c = connectWithoutReading(socket);
        c.reader = Thread.ofVirtual().name("raw-rpc-reader").start(c::readLoop);
        return c;
    }

    /** Connects and never reads: the server's writes pile up in the socket buffer. */
    static RawRpcClient connectWithoutReading(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new RawRpcClient(ch);
    }

    void send(String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) ch.write(b);
    }

    void halfClose() throws IOException {
        ch.shutdownOutput();
    }

    /** The next line the server wrote (without its newline), or an AssertionError after the timeout. */
    String nextLine(Duration timeout) throws InterruptedException {
        Event e = next(timeout);
        if (e.line() == null) throw new AssertionError("expected a line, got " + (e.eof() ? "EOF" : e.error()));
        return e.line();
    }

    JsonNode nextJson(Duration timeout) throws InterruptedException, IOException {
        return Json.MAPPER.readTree(nextLine(timeout));
    }

    Event next(Duration timeout) throws InterruptedException {
        Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) throw new AssertionError("nothing from the server within " + timeout);
        return e;
    }

    private void readLoop() {
        try (InputStream in = Channels.newInputStream(ch)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    events.add(new Event(line.toString(StandardCharsets.UTF_8), false, null));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
            if (line.size() > 0) events.add(new Event(line.toString(StandardCharsets.UTF_8), false, null));
            events.add(new Event(null, true, null));
        } catch (IOException e) {
            events.add(new Event(null, false, e));
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
        if (reader != null) reader.interrupt();
    }
}
