package dev.banger.daemon.agent;

import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one exec session has received and its listener has not yet taken, delivered in order on
 * a virtual thread of the session's own. The connection's reader only queues here and never
 * waits, so a listener that is slow (its RPC client does not read: {@code vm exec VM -- yes |
 * sleep 600}) delays its own session and nobody else's (issue 8 item 4).
 *
 * <p>Bounded: {@link #offer} refuses output past {@code limitBytes} undelivered bytes; the
 * session then cuts itself off. The terminal event (exit or error) is always accepted.
 */
final class SessionOutput {
    private static final Logger LOG = LoggerFactory.getLogger(SessionOutput.class);

    private record Event(Runnable delivery, int bytes, boolean last) { }

    private final int channel;
    private final long limitBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Event> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean ended;
    private Thread drainer;

    SessionOutput(int channel, long limitBytes) {
        this.channel = channel;
        this.limitBytes = limitBytes;
    }

    /** Queues output; false (and nothing queued) when it would exceed the bound or the session has ended. */
    boolean offer(int bytes, Runnable delivery) {
        lock.lock();
        try {
            if (ended) return true;  // after the end: ignored, not an overflow
            if (queuedBytes + bytes > limitBytes) return false;
            enqueue(new Event(delivery, bytes, false));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Queues the session's last event after everything already queued; later output is ignored. */
    void finish(Runnable last) {
        lock.lock();
        try {
            if (ended) return;
            ended = true;
            enqueue(new Event(last, 0, true));
        } finally {
            lock.unlock();
        }
    }

    /** Drops undelivered output and queues {@code last} to be delivered once the listener returns, if ever. */
    void discardAndFinish(Runnable last) {
        lock.lock();
        try {
            if (ended) return;
            ended = true;
            queue.clear();
            queuedBytes = 0;
            enqueue(new Event(last, 0, true));
        } finally {
            lock.unlock();
        }
    }

    long undeliveredBytes() {
        lock.lock();
        try {
            return queuedBytes;
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(Event e) {
        queue.addLast(e);
        queuedBytes += e.bytes();
        if (drainer == null) {
            drainer = Thread.ofVirtual().name("exec-output-" + channel).start(this::drainLoop);
        }
        changed.signalAll();
    }

    private void drainLoop() {
        while (true) {
            Event e;
            lock.lock();
            try {
                while (queue.isEmpty()) {
                    changed.awaitUninterruptibly();
                }
                e = queue.pollFirst();
                queuedBytes -= e.bytes();
            } finally {
                lock.unlock();
            }
            try {
                e.delivery().run();
            } catch (RuntimeException ex) {
                // a throwing listener must not end the delivery of the rest (and of the exit)
                LOG.warn("exec listener on channel {} threw", channel, ex);
            }
            if (e.last()) return;
        }
    }
}
