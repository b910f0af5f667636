package dev.banger.daemon.vm;

import dev.banger.daemon.agent.AgentConnection;
import dev.banger.daemon.agent.ExecListener;
import dev.banger.daemon.agent.ExecRequest;
import dev.banger.daemon.agent.ExecSession;
import dev.banger.daemon.vmm.AgentEndpoint;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One agent connection per running VM. The VMM's agent endpoint accepts a single client, so every
 * exec of a VM is multiplexed over this one connection. Reconnects lazily (after a bangerd
 * restart the first exec re-establishes it). Connections go through the driver's
 * {@link AgentEndpoint}, so the transport (a Unix chardev today) is not this class's business.
 */
public final class GuestAgents {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GuestAgents.class);
    /** Called while waiting for boot; throws to abort early (e.g. the VMM died). */
    @FunctionalInterface
    interface LivenessCheck {
        void check() throws IOException;
    }

    private final Map<String, AgentConnection> connections = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> connectLocks = new ConcurrentHashMap<>();

    // vm stop holds the VM's lock while it asks the guest: every wait in requestShutdown is
    // bounded, so a guest that is not answering (or not reading) delays the stop by seconds at
    // most before it falls back to ACPI and kill (issue 8 item 3).
    static final Duration SHUTDOWN_LOCK_WAIT = Duration.ofSeconds(1);
    static final Duration SHUTDOWN_CONNECT = Duration.ofSeconds(1);
    static final Duration SHUTDOWN_HELLO = Duration.ofSeconds(2);

    /**
     * Waits for the guest agent's hello on one connection, checking between short windows
     * that the VMM is still alive so a guest that dies mid-boot fails the start at once.
     * Reconnects only when the connection itself breaks.
     */
    void awaitReady(String vmId, AgentEndpoint endpoint, long deadlineNanos, LivenessCheck alive) throws Exception {
        AgentConnection conn = null;
        try {
            while (true) {
                alive.check();
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) throw new TimeoutException("guest agent did not answer in time");
                if (conn == null || !conn.isOpen()) {
                    if (conn != null) conn.close();
                    conn = null;
                    if (!endpoint.present()) {
                        Thread.sleep(10);
                        continue;
                    }
                    try {
                        conn = endpoint.connect(Duration.ofSeconds(2));
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

    ExecSession exec(String vmId, AgentEndpoint endpoint, ExecRequest request, ExecListener listener) throws Exception {
        return connection(vmId, endpoint, null, Duration.ofSeconds(5), Duration.ofSeconds(10)).exec(request, listener);
    }

    /** lockWait null: wait for the connect lock as long as it takes (interruptibly). */
    private AgentConnection connection(String vmId, AgentEndpoint endpoint, Duration lockWait, Duration connectTimeout,
                                       Duration helloTimeout) throws Exception {
        AgentConnection conn = connections.get(vmId);
        if (conn != null && conn.isOpen()) return conn;
        // Per VM: one guest whose agent does not answer must not hold up exec into the others.
        ReentrantLock lock = connectLocks.computeIfAbsent(vmId, id -> new ReentrantLock());
        if (lockWait == null) {
            lock.lockInterruptibly();
        } else if (!lock.tryLock(lockWait.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException("another connect to the guest agent is still under way");
        }
        try {
            conn = connections.get(vmId);
            if (conn != null && conn.isOpen()) return conn;
            // Tests wait for this line: the caller now holds this VM's connect lock (and only this VM's).
            LOG.debug("vm {}: connecting to its guest agent", vmId);
            AgentConnection fresh = endpoint.connect(connectTimeout);
            try {
                fresh.awaitHello(helloTimeout);
            } catch (Exception e) {
                fresh.close();
                throw new IOException("guest agent is not answering: " + e.getMessage(), e);
            }
            connections.put(vmId, fresh);
            return fresh;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Asks the guest to power off; false when the agent could not be reached, did not take the
     * request or did not acknowledge it. Bounded whatever the guest does: at most
     * {@link #SHUTDOWN_LOCK_WAIT} + {@link #SHUTDOWN_CONNECT} + {@link #SHUTDOWN_HELLO} +
     * {@link AgentConnection#SHUTDOWN_BOUND}, and only the last when a connection is open.
     */
    boolean requestShutdown(String vmId, AgentEndpoint endpoint) {
        try {
            return connection(vmId, endpoint, SHUTDOWN_LOCK_WAIT, SHUTDOWN_CONNECT, SHUTDOWN_HELLO).shutdown(false);
        } catch (Exception e) {
            // including an interruption: stop goes on to ACPI and kill, as it always did
            return false;
        }
    }

    /** The VM is gone for good (rm): drop its connect lock too. */
    void forget(String vmId) {
        disconnect(vmId);
        connectLocks.remove(vmId);
    }

    /** Never waits on the guest: closing a connection does not wait for a blocked write (see AgentConnection.close). */
    void disconnect(String vmId) {
        AgentConnection conn = connections.remove(vmId);
        if (conn != null) conn.close();
    }
}
