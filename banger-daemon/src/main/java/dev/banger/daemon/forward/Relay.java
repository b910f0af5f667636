package dev.banger.daemon.forward;

import dev.banger.core.model.PortForward;

/** One port forward served by bangerd itself: a host socket whose traffic is carried to the guest's address. */
interface Relay extends AutoCloseable {
    PortForward forward();

    /** Connections (TCP) or client sessions (UDP) open now. */
    int openConnections();

    /** Stops listening and ends every connection it carries; idempotent. */
    @Override
    void close();
}
