package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.rpc.RpcClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 item 2, at the RPC layer and with the ordering forced: the client's stdin
 * notifications reach bangerd (and are fully processed by the connection's reader) before the
 * method has registered its handlers. They must be delivered once the handlers exist, in order.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InboundBeforeHandlersTest {
    @TempDir
    Path dir;
    private RpcServer server;
    private final CountDownLatch mayRegister = new CountDownLatch(1);
    private final CountDownLatch manyMayRegister = new CountDownLatch(1);

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private Path start() throws Exception {
        Path sock = dir.resolve("s.sock");
        server = new RpcServer(sock, Map.of(
                "echo", (p, ctx) -> Map.of("got", p.path("x").asText()),
                // like vm.exec: registers its stdin handlers only after some work (here: the latch)
                "collect", (p, ctx) -> {
                    mayRegister.await();
                    StringBuilder got = new StringBuilder();
                    CountDownLatch closed = new CountDownLatch(1);
                    ctx.onInbound("feed", n -> got.append(n.path("data").asText()));
                    ctx.onInbound("feed_close", n -> closed.countDown());
                    boolean complete = closed.await(5, TimeUnit.SECONDS);
                    return Map.of("got", got.toString(), "closed", complete);
                },
                // registers late and then consumes slowly: more than the mailbox holds must wait, not vanish
                "collectMany", (p, ctx) -> {
                    manyMayRegister.await();
                    List<String> got = new CopyOnWriteArrayList<>();
                    CountDownLatch closed = new CountDownLatch(1);
                    ctx.onInbound("feed", n -> got.add(n.path("data").asText()));
                    ctx.onInbound("feed_close", n -> closed.countDown());
                    closed.await(10, TimeUnit.SECONDS);
                    return Map.of("count", got.size(), "first", got.isEmpty() ? "" : got.getFirst(),
                            "last", got.isEmpty() ? "" : got.getLast());
                }));
        server.start();
        return sock;
    }

    @Test
    void stdinSentBeforeTheCallRegistersItsHandlersIsDeliveredInOrder() throws Exception {
        Path sock = start();
        try (RpcClient c = RpcClient.connect(sock)) {
            RpcClient.Call call = c.start("collect", Map.of(), (m, p) -> { });
            c.notify("feed", Map.of("call_id", call.id(), "data", "a"));
            c.notify("feed", Map.of("call_id", call.id(), "data", "b"));
            c.notify("feed_close", Map.of("call_id", call.id()));
            // The connection reads lines in order: once this answer is back, the server has
            // seen all three notifications, while "collect" still has no handler.
            assertThat(c.call("echo", Map.of("x", "seen")).path("got").asText()).isEqualTo("seen");
            mayRegister.countDown();
            JsonNode result = call.result().get(10, TimeUnit.SECONDS);
            assertThat(result.path("closed").asBoolean()).as("stdin_close delivered").isTrue();
            assertThat(result.path("got").asText()).isEqualTo("ab");
        }
    }

    @Test
    void moreNotificationsThanTheMailboxHoldsWaitInsteadOfBeingDropped() throws Exception {
        Path sock = start();
        int n = InboundMailbox.CAPACITY * 3;
        try (RpcClient c = RpcClient.connect(sock)) {
            RpcClient.Call call = c.start("collectMany", Map.of(), (m, p) -> { });
            Thread sender = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < n; i++) c.notify("feed", Map.of("call_id", call.id(), "data", "m" + i));
                    c.notify("feed_close", Map.of("call_id", call.id()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            manyMayRegister.countDown();
            JsonNode result = call.result().get(15, TimeUnit.SECONDS);
            sender.join();
            assertThat(result.path("count").asInt()).isEqualTo(n);
            assertThat(result.path("first").asText()).isEqualTo("m0");
            assertThat(result.path("last").asText()).isEqualTo("m" + (n - 1));
        }
    }
}
