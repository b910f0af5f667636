package dev.banger.daemon.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Minimal QMP client: one connection per command batch; QMP answers in well under a millisecond.
 * Every connection has a deadline: a frozen QEMU (SIGSTOPped, or wedged) accepts the connection in
 * the kernel and then never answers, and a stop must not wait on it forever.
 */
final class Qmp implements AutoCloseable {
    static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(2);

    private final SocketChannel ch;
    private final BufferedReader in;
    private final OutputStream out;
    private final Thread deadline;

    private Qmp(SocketChannel ch, Duration deadline) throws IOException {
        this.ch = ch;
        // Closing the channel is what makes a blocked read return (with an exception).
        this.deadline = Thread.ofVirtual().name("qmp-deadline").start(() -> {
            try {
                Thread.sleep(deadline);
                ch.close();
            } catch (InterruptedException | IOException done) {
                // closed normally before the deadline
            }
        });
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(ch);
        readReply(); // greeting
        execute("qmp_capabilities", Map.of());
    }

    static Qmp connect(Path socket) throws IOException {
        return connect(socket, DEFAULT_DEADLINE);
    }

    /** Connects and negotiates; every read and write of this connection must be done by {@code deadline}. */
    static Qmp connect(Path socket, Duration deadline) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new Qmp(ch, deadline);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    JsonNode execute(String command, Map<String, Object> arguments) throws IOException {
        Map<String, Object> msg = arguments.isEmpty()
                ? Map.of("execute", command)
                : Map.of("execute", command, "arguments", arguments);
        out.write((Json.MAPPER.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        JsonNode reply = readReply();
        if (reply.has("error")) {
            throw new IOException("qmp " + command + ": " + reply.path("error").path("desc").asText());
        }
        return reply.path("return");
    }

    private JsonNode readReply() throws IOException {
        while (true) {
            String line = in.readLine();
            if (line == null) throw new IOException("qmp connection closed");
            JsonNode node = Json.MAPPER.readTree(line);
            if (!node.has("event")) return node;
        }
    }

    @Override
    public void close() {
        deadline.interrupt();
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to recover
        }
    }
}
