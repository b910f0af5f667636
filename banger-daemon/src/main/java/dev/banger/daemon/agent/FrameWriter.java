package dev.banger.daemon.agent;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only writer of an agent connection: callers queue whole frames, one virtual thread writes
 * them in order. A guest that stops draining its channel (hung, hostile, backed up) therefore
 * blocks this thread alone; callers wait for queue space with a deadline, or until the
 * connection is closed, and never hold a lock across a write. Closing the channel ends a write
 * in progress, so {@code close()} never waits on a stuck guest (issue 8 item 3).
 *
 * <p>The queue holds up to {@link #CAPACITY} bytes of frames. Small control frames (SHUTDOWN,
 * SIGNAL, RESIZE, HELLO_REQ, an empty STDIN) get {@link #CONTROL_HEADROOM} more, so a queue full
 * of stdin does not keep a stop or a kill signal from being queued at once.
 */
final class FrameWriter {
    private static final Logger LOG = LoggerFactory.getLogger(FrameWriter.class);
    static final int CAPACITY = 1 << 20;
    static final int SMALL_FRAME = 64;
    static final int CONTROL_HEADROOM = 64 * 1024;

    /** The frame was not queued: the connection itself is still usable. */
    static final class WriteTimeoutException extends IOException {
        WriteTimeoutException(String message) {
            super(message);
        }
    }

    /** Called once when a write fails: the stream is broken, the connection is lost. */
    interface FailureHandler {
        void writeFailed(IOException e);
    }

    private final WritableByteChannel channel;
    private final FailureHandler onFailure;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean closed;
    private final Thread thread;

    FrameWriter(WritableByteChannel channel, FailureHandler onFailure) {
        this.channel = channel;
        this.onFailure = onFailure;
        this.thread = Thread.ofVirtual().name("agent-writer").unstarted(this::writeLoop);
    }

    void start() {
        thread.start();
    }

    /**
     * Queues one frame, waiting for room until {@code deadlineNanos} (System.nanoTime based;
     * Long.MAX_VALUE: no deadline, only interruption or close end the wait).
     *
     * @throws WriteTimeoutException when the guest has not taken enough of the queue by the deadline
     * @throws IOException when the connection is closed
     */
    void send(ByteBuffer frame, long deadlineNanos) throws IOException {
        int size = frame.remaining();
        long limit = size <= SMALL_FRAME ? CAPACITY + CONTROL_HEADROOM : CAPACITY;
        lock.lock();
        try {
            // an empty queue takes any frame, so one bigger than the limit cannot wait forever
            while (!closed && queuedBytes > 0 && queuedBytes + size > limit) {
                long left = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new WriteTimeoutException("guest agent is not reading its channel ("
                            + queuedBytes + " bytes waiting)");
                }
                if (left == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    changed.awaitNanos(left);
                }
            }
            if (closed) {
                throw new IOException(AgentConnection.CONNECTION_LOST);
            }
            queue.addLast(frame);
            queuedBytes += size;
            changed.signalAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to write to the guest agent");
        } finally {
            lock.unlock();
        }
    }

    /** Drops what is queued and wakes every waiting sender; the owner closes the channel. */
    void close() {
        lock.lock();
        try {
            closed = true;
            queue.clear();
            queuedBytes = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void writeLoop() {
        while (true) {
            ByteBuffer frame;
            lock.lock();
            try {
                while (!closed && queue.isEmpty()) {
                    changed.awaitUninterruptibly();
                }
                if (closed) return;
                frame = queue.peekFirst();
            } finally {
                lock.unlock();
            }
            int size = frame.remaining();
            try {
                while (frame.hasRemaining()) {
                    channel.write(frame);
                }
            } catch (IOException e) {
                boolean wasClosed;
                lock.lock();
                try {
                    wasClosed = closed;
                } finally {
                    lock.unlock();
                }
                if (!wasClosed) {
                    LOG.debug("agent write failed: {}", e.getMessage());
                    onFailure.writeFailed(e);
                }
                close();
                return;
            }
            lock.lock();
            try {
                if (queue.peekFirst() == frame) {
                    queue.pollFirst();
                    queuedBytes -= size;
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
