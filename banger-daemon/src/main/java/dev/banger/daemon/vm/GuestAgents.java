package dev.banger.daemon.vm;

import dev.banger.daemon.agent.AgentConnection;
import dev.banger.daemon.agent.ExecListener;
import dev.banger.daemon.agent.ExecRequest;
import dev.banger.daemon.agent.ExecSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * One agent connection per running VM. QEMU's chardev accepts a single client, so every
 * exec of a VM is multiplexed over this one connection. Reconnects lazily (after a bangerd
 * restart the first exec re-establishes it).
 */
public final class GuestAgents {
    /** Called while waiting for boot; throws to abort early (e.g. the VMM died). */
    @FunctionalInterface
    interface LivenessCheck {
        void check() throws IOException;
    }

    private final Map<String, AgentConnection> connections = new ConcurrentHashMap<>();
    private final Map<String, Object> connectLocks = new ConcurrentHashMap<>();

    /**
     * Waits for the guest agent's hello on one connection, checking between short windows
     * that the VMM is still alive so a guest that dies mid-boot fails the start at once.
     * Reconnects only when the connection itself breaks.
     */
    void awaitReady(String vmId, Path socket, long deadlineNanos, LivenessCheck alive) throws Exception {
        AgentConnection conn = null;
        try {
            while (true) {
                alive.check();
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) throw new TimeoutException("guest agent did not answer in time");
                if (conn == null || !conn.isOpen()) {
                    if (conn != null) conn.close();
                    conn = null;
                    if (!Files.exists(socket)) {
                        Thread.sleep(10);
                        continue;
                    }
                    try {
                        conn = AgentConnection.connect(socket, Duration.ofSeconds(2));
                    } catch (IOException notYet) {
                        Thread.sleep(20);
                        continue;
                    }
                }
                try {
                    conn.awaitHello(Duration.ofNanos(Math.min(left, Duration.ofMillis(500).toNanos())));
                    AgentConnection previous = connections.put(vmId, conn);
                    if (previous != null && previous != conn) previous.close();
                    conn = null;
                    return;
                } catch (TimeoutException notYet) {
                    // keep the connection; check the VMM and ask again
                } catch (IOException broken) {
                    conn.close();
                    conn = null;
                }
            }
        } finally {
            if (conn != null) conn.close();
        }
    }

    ExecSession exec(String vmId, Path socket, ExecRequest request, ExecListener listener) throws Exception {
        return connection(vmId, socket).exec(request, listener);
    }

    private AgentConnection connection(String vmId, Path socket) throws Exception {
        AgentConnection conn = connections.get(vmId);
        if (conn != null && conn.isOpen()) return conn;
        // Per VM: one guest whose agent does not answer must not hold up exec into the others.
        synchronized (connectLocks.computeIfAbsent(vmId, id -> new Object())) {
            conn = connections.get(vmId);
            if (conn != null && conn.isOpen()) return conn;
            AgentConnection fresh = AgentConnection.connect(socket, Duration.ofSeconds(5));
            try {
                fresh.awaitHello(Duration.ofSeconds(10));
            } catch (Exception e) {
                fresh.close();
                throw new IOException("guest agent is not answering: " + e.getMessage(), e);
            }
            connections.put(vmId, fresh);
            return fresh;
        }
    }

    /** Asks the guest to power off; false when the agent could not be reached or did not acknowledge. */
    boolean requestShutdown(String vmId, Path socket) {
        try {
            return connection(vmId, socket).shutdown(false);
        } catch (Exception e) {
            return false;
        }
    }

    /** The VM is gone for good (rm): drop its connect lock too. */
    void forget(String vmId) {
        disconnect(vmId);
        connectLocks.remove(vmId);
    }

    void disconnect(String vmId) {
        AgentConnection conn = connections.remove(vmId);
        if (conn != null) conn.close();
    }
}
