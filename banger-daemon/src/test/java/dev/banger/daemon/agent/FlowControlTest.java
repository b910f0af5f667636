package dev.banger.daemon.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent's flow control (STDIN_ACK, OUTPUT_ACK credit), against the real agent: a writer far faster than
 * the guest's reader no longer overflows the agent's 8 MiB of stdin, and a credited session whose consumer
 * is slow gets all of its output instead of being cut off at 4 MiB. vm cp depends on both.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FlowControlTest {
    private AgentProcess agent;
    private AgentConnection conn;

    @BeforeEach
    void start() throws Exception {
        agent = AgentProcess.start();
        conn = agent.connection();
        assertThat(conn.awaitHello(Duration.ofSeconds(5))).isNotNull();
        assertThat(conn.flowControl()).as("the agent's HELLO advertises flow control").isTrue();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (conn != null) conn.close();
        } finally {
            agent.close();
        }
    }

    @Test
    void stdinFasterThanTheChildReadsWaitsInsteadOfOverflowing() throws Exception {
        Collector c = new Collector();
        // the child starts reading only after 2 s: everything written meanwhile must wait on the host side
        ExecSession s = conn.exec(new ExecRequest(List.of("sh", "-c", "sleep 2; wc -c"), Map.of(), "", false, 0, 0), c);
        byte[] chunk = new byte[1 << 20];
        for (int i = 0; i < 24; i++) s.writeStdin(chunk);
        s.closeStdin();
        assertThat(s.awaitExit()).as(c.errors.toString()).isZero();
        assertThat(c.stdout().strip()).isEqualTo(Integer.toString(24 << 20));
    }

    @Test
    void aCreditedSessionWithASlowConsumerGetsAllItsOutput() throws Exception {
        AtomicLong got = new AtomicLong();
        Collector errors = new Collector();
        ExecListener slow = new ExecListener() {
            @Override
            public void onStdout(byte[] data) {
                got.addAndGet(data.length);
                try {
                    Thread.sleep(2);   // ~64 KiB per 2 ms at most: far slower than head can write
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onStderr(byte[] data) { }

            @Override
            public void onExit(int code) { }

            @Override
            public void onError(String message) {
                errors.onError(message);
            }
        };
        long total = 24L << 20;
        ExecSession s = conn.exec(new ExecRequest(List.of("head", "-c", Long.toString(total), "/dev/zero"), Map.of(), "", false, 0, 0, true), slow);
        assertThat(s.awaitExit()).as(errors.errors.toString()).isZero();
        assertThat(got.get()).isEqualTo(total);
    }
}
