package dev.banger.daemon.forward;

/** The end of a relay's listening thread. */
final class Listeners {
    private Listeners() {
    }

    /**
     * Waits (up to 5 s) for a relay's listening thread to end after its socket was closed. A socket a
     * virtual thread is blocked on is really closed, and its port released, only once that thread
     * has woken up, so a caller told "closed" could otherwise find the port still taken.
     */
    static void awaitEnd(Thread listener) {
        if (listener == null || listener == Thread.currentThread()) return;
        try {
            listener.join(java.time.Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
