package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.rpc.RpcClient;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RpcServerTest {
    @TempDir
    Path dir;
    RpcServer server;
    final CountDownLatch slowStarted = new CountDownLatch(1);
    final CountDownLatch slowCleanedUp = new CountDownLatch(1);

    RpcServer start() throws Exception {
        server = new RpcServer(dir.resolve("s.sock"), Map.of(
                "echo", (p, ctx) -> Map.of("got", p.path("x").asText()),
                "steps", (p, ctx) -> {
                    ctx.report("one", "first");
                    ctx.report("two", "second");
                    return "done";
                },
                "refuse", (p, ctx) -> {
                    throw RpcException.conflict("vm name already exists: dev");
                },
                "slow", (p, ctx) -> {
                    slowStarted.countDown();
                    try {
                        Thread.sleep(30_000);
                        return "finished";
                    } finally {
                        slowCleanedUp.countDown();
                    }
                }));
        server.start();
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    @Test
    void roundTripAndSocketIsOwnerOnly() throws Exception {
        start();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("s.sock")))).isEqualTo("rw-------");
        try (RpcClient c = RpcClient.connect(dir.resolve("s.sock"))) {
            assertThat(c.call("echo", Map.of("x", "hi")).path("got").asText()).isEqualTo("hi");
        }
    }

    @Test
    void progressCarriesStageDurations() throws Exception {
        start();
        List<JsonNode> notes = new CopyOnWriteArrayList<>();
        try (RpcClient c = RpcClient.connect(dir.resolve("s.sock"))) {
            assertThat(c.call("steps", Map.of(), (m, p) -> notes.add(p)).asText()).isEqualTo("done");
        }
        assertThat(notes).extracting(n -> n.path("stage").asText()).containsExactly("one", "two");
        assertThat(notes.get(1).path("previous_stage").asText()).isEqualTo("one");
        assertThat(notes.get(1).has("previous_stage_ms")).isTrue();
    }

    @Test
    void errorsKeepTheirCodeAndUnknownMethodsAreRefused() throws Exception {
        start();
        try (RpcClient c = RpcClient.connect(dir.resolve("s.sock"))) {
            assertThatThrownBy(() -> c.call("refuse", Map.of())).isInstanceOfSatisfying(RpcException.class,
                    e -> assertThat(e.code()).isEqualTo(RpcErrors.CONFLICT));
            assertThatThrownBy(() -> c.call("nope", Map.of())).isInstanceOfSatisfying(RpcException.class,
                    e -> assertThat(e.code()).isEqualTo(RpcErrors.METHOD_NOT_FOUND));
        }
    }

    @Test
    void clientDisconnectCancelsTheCall() throws Exception {
        start();
        RpcClient c = RpcClient.connect(dir.resolve("s.sock"));
        c.start("slow", Map.of(), (m, p) -> { });
        assertThat(slowStarted.await(5, TimeUnit.SECONDS)).isTrue();
        c.close();
        assertThat(slowCleanedUp.await(5, TimeUnit.SECONDS)).as("call interrupted after disconnect").isTrue();
    }

    @Test
    void callsRunConcurrently() throws Exception {
        start();
        try (RpcClient slow = RpcClient.connect(dir.resolve("s.sock")); RpcClient fast = RpcClient.connect(dir.resolve("s.sock"))) {
            slow.start("slow", Map.of(), (m, p) -> { });
            assertThat(slowStarted.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(fast.call("echo", Map.of("x", "y")).path("got").asText()).isEqualTo("y");
        }
    }
}
