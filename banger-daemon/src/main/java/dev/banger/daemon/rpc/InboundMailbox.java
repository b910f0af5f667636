package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.function.Consumer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client notifications that name one call (exec stdin, stdin_close, resize), delivered to the
 * call's handlers in arrival order on a virtual thread of their own.
 *
 * <p>Why: a client streams its notifications right after its request, so they can reach bangerd
 * before the method has registered its handlers; they used to be dropped then, and
 * {@code printf x | banger vm exec -i VM -- cat} lost its input and hung (issue 8). Here a
 * notification waits until a handler for its method exists. Handlers may block (the exec waits for
 * its session, stdin waits for the agent to take it); that blocks only this call's delivery thread,
 * never the connection's reader. The queue is bounded: when it is full the reader waits, which is
 * back-pressure on the client, not loss. Once the call has ended or was cancelled, what is left is
 * dropped: nobody is there to receive it.
 */
final class InboundMailbox {
    private static final Logger LOG = LoggerFactory.getLogger(InboundMailbox.class);
    static final int CAPACITY = 64;

    private record Message(String method, JsonNode params) { }

    private final Map<String, Consumer<JsonNode>> handlers;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Message> queue = new ArrayDeque<>();
    private boolean closed;
    private Thread deliverer;

    InboundMailbox(Map<String, Consumer<JsonNode>> handlers) {
        this.handlers = handlers;
    }

    /** Queues one notification; waits while the queue is full (the caller is the connection's reader). */
    void put(String method, JsonNode params) {
        lock.lock();
        try {
            while (queue.size() >= CAPACITY && !closed) {
                changed.awaitUninterruptibly();
            }
            if (closed) return;
            queue.addLast(new Message(method, params));
            if (deliverer == null) {
                deliverer = Thread.ofVirtual().name("rpc-inbound").start(this::deliverLoop);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A handler was registered: the head of the queue may be deliverable now. */
    void handlersChanged() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            queue.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void deliverLoop() {
        while (true) {
            Message next;
            Consumer<JsonNode> handler;
            lock.lock();
            try {
                while (!closed && (queue.isEmpty() || handlers.get(queue.peekFirst().method()) == null)) {
                    changed.awaitUninterruptibly();
                }
                if (closed) return;
                next = queue.pollFirst();
                handler = handlers.get(next.method());
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            try {
                handler.accept(next.params());
            } catch (RuntimeException e) {
                LOG.warn("handler of {} failed", next.method(), e);
            }
        }
    }
}
