package dev.banger.daemon.forward;

import dev.banger.core.model.PortForward;
import java.time.Duration;

/**
 * One port forward served by bangerd itself: a host socket whose traffic is carried to the guest's
 * address, with one virtual thread listening on it. What the two kinds share is how they end.
 */
abstract sealed class Relay implements AutoCloseable permits TcpRelay, UdpRelay {
    final PortForward forward;
    volatile boolean closed;
    private volatile Thread listener;

    Relay(PortForward forward) {
        this.forward = forward;
    }

    final PortForward forward() {
        return forward;
    }

    /** Connections (TCP) or client sessions (UDP) open now. */
    abstract int openConnections();

    /** Runs {@code loop} (accept or receive until closed) on the relay's listening thread. */
    final void listen(Runnable loop) {
        listener = Thread.ofVirtual().name("relay " + forward).start(loop);
    }

    /** Closes the host socket and every socket the relay carries. */
    abstract void closeSockets();

    /**
     * Stops listening and ends every connection; idempotent. Returns once the listening thread has
     * ended (up to 5 s): a socket a virtual thread is blocked on is really closed, and its port
     * released, only once that thread has woken up, so a caller told "closed" could otherwise find
     * the port still taken.
     */
    @Override
    public final void close() {
        closed = true;
        closeSockets();
        Thread l = listener;
        if (l == null || l == Thread.currentThread()) return;
        try {
            l.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
