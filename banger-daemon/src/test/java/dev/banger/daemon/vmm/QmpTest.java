package dev.banger.daemon.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QMP client against a scripted QMP server on a Unix socket: the greeting, capabilities
 * negotiation, a command and its return, an error reply, and asynchronous events that QEMU
 * may send at any point between replies.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class QmpTest {
    private static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 8}}, \"capabilities\": [\"oob\"]}}";
    private static final String EVENT = "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RTC_CHANGE\", \"data\": {\"offset\": 0}}";

    @TempDir
    Path tmp;

    private ServerSocketChannel server;
    private Thread serverThread;
    /** Every command line the server received, parsed. */
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (server != null) server.close();
        if (serverThread != null) serverThread.join(5_000);
    }

    /** Serves one client: sends {@code greeting} lines (null: hangs up at once), then answers each command with the lines {@code script} gives. */
    private Path serve(List<String> greeting, Function<JsonNode, List<String>> script) throws IOException {
        Path sock = tmp.resolve("qmp.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        serverThread = Thread.ofVirtual().start(() -> {
            try (SocketChannel client = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(client);
                if (greeting == null) return;   // hang up before greeting
                send(out, greeting);
                String line;
                while ((line = in.readLine()) != null) {
                    JsonNode command = Json.MAPPER.readTree(line);
                    received.add(command);
                    List<String> reply = script.apply(command);
                    if (reply == null) return;   // hang up
                    send(out, reply);
                }
            } catch (IOException closed) {
                // the test closed the server or the client went away
            }
        });
        return sock;
    }

    private static void send(OutputStream out, List<String> lines) throws IOException {
        for (String l : lines) out.write((l + "\r\n").getBytes(StandardCharsets.UTF_8));   // QEMU ends lines with CRLF
        out.flush();
    }

    private static Function<JsonNode, List<String>> answering(Function<JsonNode, List<String>> commands) {
        return cmd -> cmd.path("execute").asText().equals("qmp_capabilities") ? List.of("{\"return\": {}}") : commands.apply(cmd);
    }

    @Test
    void negotiatesCapabilitiesThenRunsACommandAndReturnsItsResult() throws Exception {
        Path sock = serve(List.of(GREETING), answering(cmd -> List.of("{\"return\": {\"status\": \"running\", \"running\": true}}")));
        try (Qmp qmp = Qmp.connect(sock)) {
            JsonNode status = qmp.execute("query-status", Map.of());
            assertThat(status.path("status").asText()).isEqualTo("running");
            JsonNode r = qmp.execute("human-monitor-command", Map.of("command-line", "info cpus"));
            assertThat(r.path("status").asText()).isEqualTo("running");
        }
        assertThat(received).hasSize(3);
        assertThat(received.get(0).toString()).as("capabilities first, with no arguments").isEqualTo("{\"execute\":\"qmp_capabilities\"}");
        assertThat(received.get(1).toString()).isEqualTo("{\"execute\":\"query-status\"}");
        assertThat(received.get(2).path("execute").asText()).isEqualTo("human-monitor-command");
        assertThat(received.get(2).path("arguments").path("command-line").asText()).isEqualTo("info cpus");
    }

    @Test
    void anErrorReplyBecomesAnIOExceptionWithQemusDescription() throws Exception {
        Path sock = serve(List.of(GREETING), answering(cmd ->
                List.of("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}}")));
        try (Qmp qmp = Qmp.connect(sock)) {
            assertThatThrownBy(() -> qmp.execute("nope", Map.of()))
                    .isInstanceOf(IOException.class).hasMessage("qmp nope: The command nope has not been found");
        }
    }

    @Test
    void eventsInterleavedAnywhereAreSkipped() throws Exception {
        Path sock = serve(List.of(GREETING, EVENT), cmd -> switch (cmd.path("execute").asText()) {
            case "qmp_capabilities" -> List.of(EVENT, EVENT, "{\"return\": {}}");
            case "system_powerdown" -> List.of(EVENT, "{\"return\": {}}", "{\"event\": \"POWERDOWN\"}");
            case "query-status" -> List.of("{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}", "{\"return\": {\"status\": \"shutdown\"}}");
            default -> List.of("{\"error\": {\"desc\": \"unexpected\"}}");
        });
        try (Qmp qmp = Qmp.connect(sock)) {
            assertThat(qmp.execute("system_powerdown", Map.of()).isEmpty()).isTrue();
            // The POWERDOWN event sent after the previous reply must not be taken as this command's reply.
            assertThat(qmp.execute("query-status", Map.of()).path("status").asText()).isEqualTo("shutdown");
        }
    }

    @Test
    void aConnectionClosedBeforeTheReplyIsAnError() throws Exception {
        Path sock = serve(List.of(GREETING), answering(cmd -> null));
        try (Qmp qmp = Qmp.connect(sock)) {
            assertThatThrownBy(() -> qmp.execute("quit", Map.of())).isInstanceOf(IOException.class).hasMessage("qmp connection closed");
        }
    }

    @Test
    void aServerThatNeverGreetsFailsTheConnect() throws Exception {
        Path sock = serve(null, cmd -> null);
        assertThatThrownBy(() -> Qmp.connect(sock)).isInstanceOf(IOException.class).hasMessage("qmp connection closed");
    }

    @Test
    void noSocketFailsTheConnect() {
        assertThatThrownBy(() -> Qmp.connect(tmp.resolve("missing.sock"))).isInstanceOf(IOException.class);
    }

    /** Regression (issue 8.3): a frozen QEMU accepts in the kernel and never answers; a stop must not wait forever. */
    @Test
    void aServerThatAcceptsButNeverAnswersFailsAtTheDeadline() throws Exception {
        Path sock = tmp.resolve("frozen.qmp");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(sock));  // listening: connects succeed, nothing is ever written
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> Qmp.connect(sock, java.time.Duration.ofMillis(300))).isInstanceOf(IOException.class);
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(250L, 5_000L);
        }
    }
}
