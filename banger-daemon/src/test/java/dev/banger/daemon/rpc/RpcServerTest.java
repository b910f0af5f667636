package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.rpc.RpcClient;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RpcServerTest {
    @TempDir
    Path dir;
    RpcServer server;
    final CountDownLatch slowStarted = new CountDownLatch(1);
    final CountDownLatch slowCleanedUp = new CountDownLatch(1);

    final CountDownLatch floodReleased = new CountDownLatch(1);
    final CountDownLatch napsTaken = new CountDownLatch(1);
    static final Duration WAIT = Duration.ofSeconds(5);
    static final RpcServer.Limits TEST_LIMITS = new RpcServer.Limits(1024, Duration.ofMillis(500), Duration.ofMillis(100));

    RpcServer start() throws Exception {
        return start(TEST_LIMITS, UnaryOperator.identity());
    }

    RpcServer start(RpcServer.Limits limits, UnaryOperator<RpcServer.Acceptor> acceptFaults) throws Exception {
        server = new RpcServer(dir.resolve("s.sock"), Map.of(
                "nap", (p, ctx) -> {
                    Thread.sleep(500);
                    napsTaken.countDown();
                    return "rested";
                },
                "overflow", (p, ctx) -> recurse(p.path("depth").asInt()),
                "oom", (p, ctx) -> {
                    throw new OutOfMemoryError("Java heap space (thrown by the test)");
                },
                "flood", (p, ctx) -> {
                    String chunk = "x".repeat(64 * 1024);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    try {
                        while (!ctx.isCancelled() && System.nanoTime() < deadline) {
                            ctx.notify("exec.output", Map.of("data", chunk));
                        }
                        return "flood over";
                    } finally {
                        floodReleased.countDown();
                    }
                },
                "echo", (p, ctx) -> Map.of("got", p.path("x").asText()),
                "steps", (p, ctx) -> {
                    ctx.report("one", "first");
                    ctx.report("two", "second");
                    return "done";
                },
                "refuse", (p, ctx) -> {
                    throw RpcException.conflict("vm name already exists: dev");
                },
                "throw", (p, ctx) -> {
                    throw switch (p.path("what").asText()) {
                        case "iae" -> new IllegalArgumentException("bad signal number 99 (a bug deep inside, not the caller's input)");
                        case "npe" -> new NullPointerException("a bug");
                        default -> RpcException.invalid("vcpu must be a positive integer");
                    };
                },
                "slow", (p, ctx) -> {
                    slowStarted.countDown();
                    try {
                        Thread.sleep(30_000);
                        return "finished";
                    } finally {
                        slowCleanedUp.countDown();
                    }
                }), limits, acceptFaults);
        server.start();
        return server;
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
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

    /**
     * Regression (issue 9): a JDK IllegalArgumentException from deep inside a handler was answered
     * "invalid argument", blaming the caller for a bug. Only an explicit RpcException.invalid is
     * invalid params; anything unexpected is "failed" and keeps its message.
     */
    @Test
    void aHandlerThrowingIllegalArgumentExceptionIsAFailureNotInvalidParams() throws Exception {
        start();
        try (RpcClient c = RpcClient.connect(dir.resolve("s.sock"))) {
            assertThatThrownBy(() -> c.call("throw", Map.of("what", "iae"))).isInstanceOfSatisfying(RpcException.class,
                    e -> assertThat(e.code()).isEqualTo(RpcErrors.FAILED)).hasMessageContaining("bad signal number 99");
            assertThatThrownBy(() -> c.call("throw", Map.of("what", "npe"))).isInstanceOfSatisfying(RpcException.class,
                    e -> assertThat(e.code()).isEqualTo(RpcErrors.FAILED)).hasMessageContaining("a bug");
            assertThatThrownBy(() -> c.call("throw", Map.of("what", "invalid"))).isInstanceOfSatisfying(RpcException.class,
                    e -> assertThat(e.code()).isEqualTo(-32602)).hasMessage("vcpu must be a positive integer");
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

    // ---- the RPC edge (issue 8, item 9) ------------------------------------------------------

    @Test
    void anOversizeRequestLineGetsAnInvalidRequestErrorThenTheConnectionCloses() throws Exception {
        start();
        try (RawRpcClient c = RawRpcClient.connect(dir.resolve("s.sock"))) {
            c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"x\":\"" + "a".repeat(4096) + "\"}}\n");
            JsonNode err = c.nextJson(WAIT);
            assertThat(err.path("error").path("code").asInt()).isEqualTo(RpcErrors.INVALID_REQUEST);
            assertThat(err.path("error").path("message").asText()).contains("1024 bytes");
            assertThat(err.get("id").isNull()).isTrue();
            assertThat(c.next(WAIT).eof()).as("connection closed after the error").isTrue();
        }
        try (RpcClient c = RpcClient.connect(dir.resolve("s.sock"))) {
            assertThat(c.call("echo", Map.of("x", "a".repeat(900))).path("got").asText()).hasSize(900);
        }
    }

    @Test
    void stringNumberAndNullIdsAreEchoedExactlyAndProgressCarriesTheSameId() throws Exception {
        start();
        try (RawRpcClient c = RawRpcClient.connect(dir.resolve("s.sock"))) {
            for (String id : List.of("\"abc\"", "\"7\"", "7", "-3", "18446744073709551617", "null")) {
                c.send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"echo\",\"params\":{\"x\":\"y\"}}\n");
                JsonNode answer = c.nextJson(WAIT);
                assertThat(answer.get("id").toString()).as("id %s", id).isEqualTo(id);
                assertThat(answer.path("result").path("got").asText()).isEqualTo("y");
            }
            c.send("{\"jsonrpc\":\"2.0\",\"id\":\"build-1\",\"method\":\"steps\"}\n");
            JsonNode first = c.nextJson(WAIT);
            assertThat(first.path("method").asText()).isEqualTo("progress");
            assertThat(first.path("params").get("call_id").toString()).isEqualTo("\"build-1\"");
            c.nextJson(WAIT);
            assertThat(c.nextJson(WAIT).get("id").toString()).isEqualTo("\"build-1\"");
            c.send("{\"jsonrpc\":\"2.0\",\"id\":{\"no\":1},\"method\":\"echo\"}\n");
            JsonNode bad = c.nextJson(WAIT);
            assertThat(bad.path("error").path("code").asInt()).isEqualTo(RpcErrors.INVALID_REQUEST);
            assertThat(bad.get("id").isNull()).isTrue();
        }
    }

    @Test
    void aDuplicateInFlightIdIsRefusedAndTheFirstCallStillAnswers() throws Exception {
        start();
        try (RawRpcClient c = RawRpcClient.connect(dir.resolve("s.sock"))) {
            c.send("{\"jsonrpc\":\"2.0\",\"id\":\"same\",\"method\":\"nap\"}\n");
            c.send("{\"jsonrpc\":\"2.0\",\"id\":\"same\",\"method\":\"echo\",\"params\":{\"x\":\"dup\"}}\n");
            JsonNode refused = c.nextJson(WAIT);
            assertThat(refused.get("id").asText()).isEqualTo("same");
            assertThat(refused.path("error").path("code").asInt()).isEqualTo(RpcErrors.INVALID_REQUEST);
            assertThat(refused.path("error").path("message").asText()).contains("already in flight");
            JsonNode answer = c.nextJson(WAIT);
            assertThat(answer.get("id").asText()).isEqualTo("same");
            assertThat(answer.path("result").asText()).isEqualTo("rested");
            // Once answered, the id is free again.
            c.send("{\"jsonrpc\":\"2.0\",\"id\":\"same\",\"method\":\"echo\",\"params\":{\"x\":\"again\"}}\n");
            assertThat(c.nextJson(WAIT).path("result").path("got").asText()).isEqualTo("again");
        }
    }

    @Test
    void aClientThatHalfClosesAfterSendingStillGetsItsAnswerThenEof() throws Exception {
        start();
        try (RawRpcClient c = RawRpcClient.connect(dir.resolve("s.sock"))) {
            c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nap\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nap\"}");
            c.halfClose();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                JsonNode answer = c.nextJson(WAIT);
                assertThat(answer.path("result").asText()).as(answer.toString()).isEqualTo("rested");
                ids.add(answer.get("id").toString());
            }
            assertThat(ids).containsExactlyInAnyOrder("1", "2");
            assertThat(c.next(WAIT).eof()).as("closed once every call is answered").isTrue();
        }
    }

    @Test
    void aClientThatHalfClosesAndThenGoesAwayHasItsCallCancelled() throws Exception {
        start();
        RawRpcClient c = RawRpcClient.connect(dir.resolve("s.sock"));
        c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"slow\"}\n");
        assertThat(slowStarted.await(5, TimeUnit.SECONDS)).isTrue();
        c.halfClose();
        Thread.sleep(300);
        assertThat(slowCleanedUp.getCount()).as("a half-close alone does not cancel").isEqualTo(1);
        c.close();
        assertThat(slowCleanedUp.await(5, TimeUnit.SECONDS)).as("cancelled once the client is really gone").isTrue();
    }

    @Test
    void anAcceptLoopThatKeepsFailingBacksOffAndRecovers() throws Exception {
        AtomicInteger failures = new AtomicInteger();
        List<Long> failedAt = new java.util.concurrent.CopyOnWriteArrayList<>();
        int failuresWanted = 7;
        start(TEST_LIMITS, real -> () -> {
            if (failures.get() < failuresWanted) {
                failures.incrementAndGet();
                failedAt.add(System.nanoTime());
                throw new IOException("Too many open files (injected by the test)");
            }
            return real.accept();
        });
        long begin = System.nanoTime();
        // A spinning loop fails millions of times a second; backing off 10 ms doubling fails 7 times in ~1.3 s.
        Thread.sleep(200);
        assertThat(failures.get()).as("failed accepts in the first 200 ms").isBetween(2, 6);
        try (RpcClient c = RpcClient.connect(dir.resolve("s.sock"))) {
            assertThat(c.start("echo", Map.of("x", "back"), (m, p) -> { }).result().get(10, TimeUnit.SECONDS).path("got").asText())
                    .isEqualTo("back");
        }
        assertThat(failures.get()).isEqualTo(failuresWanted);
        long lastGapMs = (failedAt.get(6) - failedAt.get(5)) / 1_000_000;
        long firstGapMs = (failedAt.get(1) - failedAt.get(0)) / 1_000_000;
        assertThat(lastGapMs).as("gaps grow").isGreaterThan(4 * Math.max(firstGapMs, 5));
        assertThat((System.nanoTime() - begin) / 1_000_000).isGreaterThan(600);
    }

    @Test
    void aHandlerThrowingStackOverflowErrorOrOutOfMemoryErrorStillGetsAnAnswerAndTheServerKeepsServing() throws Exception {
        start();
        try (RpcClient c = RpcClient.connect(dir.resolve("s.sock"))) {
            assertThatThrownBy(() -> c.start("overflow", Map.of("depth", 0), (m, p) -> { }).result().get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(RpcException.class)
                    .cause().satisfies(e -> {
                        assertThat(((RpcException) e).code()).isEqualTo(RpcErrors.INTERNAL);
                        assertThat(e.getMessage()).contains("overflow").contains("StackOverflowError");
                    });
            assertThatThrownBy(() -> c.start("oom", Map.of(), (m, p) -> { }).result().get(10, TimeUnit.SECONDS))
                    .cause().satisfies(e -> {
                        assertThat(((RpcException) e).code()).isEqualTo(RpcErrors.INTERNAL);
                        assertThat(e.getMessage()).contains("OutOfMemoryError");
                    });
            assertThat(c.call("echo", Map.of("x", "still here")).path("got").asText()).isEqualTo("still here");
        }
    }

    @Test
    void aClientThatNeverReadsHasItsWriteTimedOutAndTheHandlerReleased() throws Exception {
        start();
        try (RawRpcClient c = RawRpcClient.connectWithoutReading(dir.resolve("s.sock"))) {
            c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"flood\"}\n");
            assertThat(floodReleased.await(10, TimeUnit.SECONDS))
                    .as("the handler stuck writing to a client that never reads is released after the 500 ms write timeout")
                    .isTrue();
        }
        try (RpcClient c = RpcClient.connect(dir.resolve("s.sock"))) {
            assertThat(c.call("echo", Map.of("x", "ok")).path("got").asText()).isEqualTo("ok");
        }
    }
}
