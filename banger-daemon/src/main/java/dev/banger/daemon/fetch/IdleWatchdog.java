package dev.banger.daemon.fetch;

import java.time.Duration;

/**
 * HttpClient has no read timeout for a streamed body; this interrupts the thread reading the
 * body when no byte has arrived for the idle timeout, which fails the download. Call
 * {@link #touch()} whenever bytes arrive; {@link #fired()} tells a timeout from other failures.
 */
public final class IdleWatchdog implements AutoCloseable {
    private final long timeoutNanos;
    private final long tickMillis;
    private final String threadName;
    private Thread ticker;
    private volatile long last = System.nanoTime();
    private boolean closed;
    private boolean fired;

    public IdleWatchdog(Duration timeout, String threadName) {
        this.timeoutNanos = timeout.toNanos();
        this.tickMillis = Math.max(10, Math.min(1000, timeout.toMillis() / 4));
        this.threadName = threadName;
    }

    public synchronized void start(Thread worker) {
        last = System.nanoTime();
        ticker = Thread.ofVirtual().name(threadName).start(() -> {
            try {
                while (true) {
                    Thread.sleep(tickMillis);
                    synchronized (this) {
                        if (closed) {
                            return;
                        }
                        if (System.nanoTime() - last > timeoutNanos) {
                            fired = true;
                            worker.interrupt();
                            return;
                        }
                    }
                }
            } catch (InterruptedException e) {
                // closed
            }
        });
    }

    public void touch() {
        last = System.nanoTime();
    }

    public synchronized boolean fired() {
        return fired;
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = ticker;
        }
        if (t != null) {
            t.interrupt();
        }
    }
}
