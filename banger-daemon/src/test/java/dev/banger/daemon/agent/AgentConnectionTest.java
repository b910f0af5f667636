package dev.banger.daemon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** End-to-end tests of AgentConnection against the real agent binary (--connect-unix mode). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AgentConnectionTest {
    private AgentProcess agent;
    private AgentConnection conn;

    @BeforeEach
    void start() throws Exception {
        agent = AgentProcess.start();
        conn = agent.connection();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (conn != null) {
                conn.close();
            }
        } finally {
            agent.close();
        }
    }

    private static ExecRequest cmd(String... argv) {
        return new ExecRequest(List.of(argv), Map.of(), "", false, 0, 0);
    }

    private static ExecRequest tty(int rows, int cols, String... argv) {
        return new ExecRequest(List.of(argv), Map.of(), "", true, rows, cols);
    }

    @Test
    void helloReportsAgentAndGuestFacts() throws Exception {
        AgentHello hello = conn.awaitHello(Duration.ofSeconds(5));
        assertThat(hello.agentVersion()).isEqualTo("0.1.0");
        assertThat(hello.kernel()).isEqualTo(System.getProperty("os.version"));
        assertThat(hello.uptimeMs()).isPositive();
        assertThat(hello.hostname()).isNotBlank();
    }

    @Test
    void stdoutStderrAndExitCode() throws Exception {
        Collector c = new Collector();
        ExecSession s = conn.exec(cmd("sh", "-c", "echo out; echo err >&2; exit 3"), c);
        assertThat(s.awaitExit()).isEqualTo(3);
        assertThat(c.stdout()).isEqualTo("out\n");
        assertThat(c.stderr()).isEqualTo("err\n");
        assertThat(c.exits).containsExactly(3);
        assertThat(c.errors).isEmpty();
    }

    @Test
    void envAndCwdAreApplied() throws Exception {
        Collector c = new Collector();
        ExecSession s = conn.exec(new ExecRequest(List.of("sh", "-c", "echo $FOO; pwd; echo $PATH"),
                Map.of("FOO", "bar"), "/tmp", false, 0, 0), c);
        assertThat(s.awaitExit()).isZero();
        assertThat(c.stdout()).isEqualTo("bar\n/tmp\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
    }

    @Test
    void stdinRoundTripThroughCat() throws Exception {
        Collector c = new Collector();
        ExecSession s = conn.exec(cmd("cat"), c);
        byte[] big = new byte[3 * 1024 * 1024 + 17];  // several frames, exercises back-pressure
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + i % 26);
        }
        s.writeStdin("hello\n".getBytes(StandardCharsets.UTF_8));
        s.writeStdin(big);
        s.closeStdin();
        assertThat(s.awaitExit()).isZero();
        String expected = "hello\n" + new String(big, StandardCharsets.US_ASCII);
        assertThat(c.stdoutSize()).isEqualTo(expected.length());
        assertThat(c.stdout()).isEqualTo(expected);
    }

    @Test
    void ttyExecRunsOnAPseudoTerminal() throws Exception {
        Collector c = new Collector();
        ExecSession s = conn.exec(tty(24, 80, "tty"), c);
        assertThat(s.awaitExit()).isZero();
        assertThat(c.stdout()).startsWith("/dev/pts/");
        assertThat(c.stderr()).isEmpty();
    }

    @Test
    void resizeChangesTheTerminalSize() throws Exception {
        Collector c = new Collector();
        ExecSession s = conn.exec(tty(24, 80, "sh", "-c", "stty size; read x; stty size"), c);
        assertThat(c.awaitStdout(o -> o.contains("24 80"), 5000)).as("initial size, got %s", c.stdout()).isTrue();
        s.resize(50, 132);
        s.writeStdin("go\n".getBytes(StandardCharsets.UTF_8));
        assertThat(s.awaitExit()).isZero();
        assertThat(c.stdout()).contains("50 132");
    }

    @Test
    void missingCommandIsAnErrorNotAHang() throws Exception {
        Collector c = new Collector();
        ExecSession s = conn.exec(cmd("banger-no-such-command"), c);
        assertThatThrownBy(s::awaitExit)
                .isInstanceOf(AgentException.class)
                .hasMessage("No such file or directory: banger-no-such-command");
        assertThat(c.errors).containsExactly("No such file or directory: banger-no-such-command");
        assertThat(c.exits).isEmpty();
        // the connection is still usable afterwards
        assertThat(conn.exec(cmd("true"), new Collector()).awaitExit()).isZero();
    }

    @Test
    void twoConcurrentSessionsOnOneConnection() throws Exception {
        Collector a = new Collector();
        Collector b = new Collector();
        ExecSession first = conn.exec(cmd("cat"), a);  // stays running until stdin closes
        ExecSession second = conn.exec(cmd("sh", "-c", "echo second"), b);
        assertThat(second.awaitExit()).isZero();
        assertThat(b.stdout()).isEqualTo("second\n");
        assertThat(a.exits).as("first session must still be running").isEmpty();
        first.writeStdin("first\n".getBytes(StandardCharsets.UTF_8));
        first.closeStdin();
        assertThat(first.awaitExit()).isZero();
        assertThat(a.stdout()).isEqualTo("first\n");
    }

    /**
     * A signal goes to the session's whole process group, not only the command the agent started:
     * the command here starts a child shell that starts a sleep (a grandchild), both report their
     * PIDs, and after SIGTERM neither may be left running.
     */
    @Test
    void signalKillsTheProcessGroup() throws Exception {
        Collector c = new Collector();
        ExecSession s = conn.exec(cmd("sh", "-c",
                "sh -c 'sleep 600 & echo grandchild=$!; wait' & echo child=$!; wait"), c);
        assertThat(c.awaitStdout(o -> o.contains("child=") && o.contains("grandchild="), 5000))
                .as("both PIDs reported, got %s", c.stdout()).isTrue();
        java.util.Map<String, Long> pids = new java.util.HashMap<>();
        c.stdout().lines().map(l -> l.split("=", 2)).forEach(kv -> pids.put(kv[0], Long.parseLong(kv[1].strip())));
        List<Long> descendants = List.of(pids.get("child"), pids.get("grandchild"));
        try {
            assertThat(descendants).allSatisfy(pid -> assertThat(running(pid)).as("pid %d before the signal", pid).isTrue());
            s.signal(15);
            assertThat(s.awaitExit()).isEqualTo(128 + 15);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (descendants.stream().anyMatch(AgentConnectionTest::running) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(descendants).allSatisfy(pid -> assertThat(running(pid)).as("pid %d after SIGTERM", pid).isFalse());
        } finally {
            for (long pid : descendants) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** Alive and not a zombie: an orphan whose new parent has not reaped it yet is already dead. */
    private static boolean running(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (java.io.IOException gone) {
            return false;
        }
    }

    @Test
    void lostConnectionFailsRunningSessions() throws Exception {
        Collector c = new Collector();
        ExecSession s = conn.exec(cmd("sleep", "30"), c);
        conn.awaitHello(Duration.ofSeconds(5));  // the EXEC has been processed by now
        agent.killAgent();
        assertThatThrownBy(s::awaitExit).isInstanceOf(AgentException.class).hasMessage("agent connection lost");
        assertThat(c.errors).containsExactly("agent connection lost");
        assertThat(conn.isOpen()).isFalse();
        assertThatThrownBy(() -> conn.exec(cmd("true"), new Collector())).hasMessage("agent connection lost");
    }

    @Test
    void shutdownIsAcknowledged() throws Exception {
        // --connect-unix mode acknowledges and exits instead of powering anything off
        assertThat(conn.shutdown(false)).isTrue();
        assertThat(agent.process().waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.process().exitValue()).isZero();
    }

    /**
     * QEMU's agent chardev serves one client and queues the next; once its listen backlog is full a
     * blocking connect waited with no bound, so a boot could sit in wait_vsock_agent past its timeout.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void connectingToAListenerWithAFullBacklogGivesUpAtTheDeadline() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("agent-backlog");
        java.nio.file.Path sock = dir.resolve("agent.sock");
        List<java.nio.channels.SocketChannel> queued = new java.util.ArrayList<>();
        try (java.nio.channels.ServerSocketChannel server =
                     java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(sock), 1);
            // Fill the backlog without ever accepting, as a busy QEMU chardev would.
            while (queued.size() < 64) {
                java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                try {
                    c.connect(java.net.UnixDomainSocketAddress.of(sock));
                    queued.add(c);
                } catch (java.io.IOException full) {
                    c.close();
                    break;
                }
            }
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> AgentConnection.connect(sock, Duration.ofMillis(500)))
                    .hasMessageContaining("did not accept within");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3000);
        } finally {
            for (java.nio.channels.SocketChannel c : queued) c.close();
            java.nio.file.Files.deleteIfExists(sock);
            java.nio.file.Files.deleteIfExists(dir);
        }
    }
}
