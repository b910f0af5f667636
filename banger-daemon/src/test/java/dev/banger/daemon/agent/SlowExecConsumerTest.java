package dev.banger.daemon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8 item 4: `banger vm exec VM -- yes | sleep 600`: the exec's consumer never takes its
 * output. Against the real agent: another session on the same connection still gets its output
 * and exit, HELLO still works, and the stuck session is cut off (its process killed).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowExecConsumerTest {
    private AgentProcess agent;
    private AgentConnection conn;
    private final CountDownLatch releaseStuckListener = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        agent = AgentProcess.start();
        conn = agent.connection();
        conn.awaitHello(Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() throws Exception {
        releaseStuckListener.countDown();
        try {
            if (conn != null) conn.close();
        } finally {
            agent.close();
        }
    }

    /** Like an RPC client that never reads: the first output it is given never returns. */
    private final class NeverReturns implements ExecListener {
        final CountDownLatch entered = new CountDownLatch(1);

        @Override
        public void onStderr(byte[] data) { }

        @Override
        public void onExit(int code) { }

        @Override
        public void onError(String message) { }

        @Override
        public void onStdout(byte[] data) {
            entered.countDown();
            try {
                releaseStuckListener.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ExecRequest cmd(String... argv) {
        return new ExecRequest(List.of(argv), Map.of(), "", false, 0, 0);
    }

    @Test
    void aConsumerThatNeverReadsStallsOnlyItsOwnSession() throws Exception {
        NeverReturns stuck = new NeverReturns();
        ExecSession yes = conn.exec(cmd("yes"), stuck);
        assertThat(stuck.entered.await(10, TimeUnit.SECONDS)).as("yes produced output").isTrue();
        // let the agent push a lot more at us while the listener is stuck
        Thread.sleep(500);

        Collector other = new Collector();
        ExecSession s = conn.exec(cmd("sh", "-c", "echo still-served; exit 4"), other);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return s.awaitExit();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(4);
        assertThat(other.stdout()).isEqualTo("still-served\n");
        assertThat(conn.awaitHello(Duration.ofSeconds(5)).agentVersion()).isEqualTo("0.1.0");

        // the stuck session ended with a clear message, without its listener ever returning
        CompletableFuture<Throwable> yesEnd = CompletableFuture.supplyAsync(() -> {
            try {
                yes.awaitExit();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        assertThat(yesEnd.get(10, TimeUnit.SECONDS)).isInstanceOf(AgentException.class)
                .hasMessageContaining("exec output consumer too slow; output cut off after 4 MiB");
        // and its process was killed in the guest
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (yesIsRunning() && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(yesIsRunning()).as("yes still running in the guest").isFalse();
        assertThatThrownBy(() -> yes.signal(15)).hasMessageContaining("already ended");
    }

    private boolean yesIsRunning() {
        return agent.process().descendants().anyMatch(ph -> ph.info().command().orElse("").endsWith("/yes"));
    }
}
