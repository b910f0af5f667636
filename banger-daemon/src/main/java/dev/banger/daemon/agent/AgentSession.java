package dev.banger.daemon.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One exec session: forwards host calls as frames and agent frames to the listener. */
final class AgentSession implements ExecSession {
    private static final Logger LOG = LoggerFactory.getLogger(AgentSession.class);
    // Well under the 1 MiB frame cap so one big write cannot hog the connection.
    private static final int STDIN_CHUNK = 64 * 1024;
    // Control frames of a session wait this long for room in the write queue (they get headroom
    // past a queue full of stdin, so normally not at all).
    private static final long CONTROL_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
    private static final byte SIGKILL = 9;

    private final AgentConnection connection;
    private final int channel;
    private final ExecListener listener;
    private final long outputLimit;
    private final SessionOutput output;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile boolean started;
    private volatile int exitCode;
    private volatile String error;
    private final boolean credited;
    /** Stdin sent and not yet acknowledged by the agent; at most STDIN_WINDOW, half the agent's 8 MiB cap. */
    private static final long STDIN_WINDOW = 4L << 20;
    private final java.util.concurrent.locks.ReentrantLock stdinLock = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.locks.Condition stdinRoom = stdinLock.newCondition();
    private long stdinInFlight;

    AgentSession(AgentConnection connection, int channel, ExecListener listener, long outputLimit) {
        this(connection, channel, listener, outputLimit, false);
    }

    /** {@code credited}: the agent sends output against OUTPUT_ACK credit, which this session returns as it delivers. */
    AgentSession(AgentConnection connection, int channel, ExecListener listener, long outputLimit, boolean credited) {
        this.credited = credited;
        this.connection = connection;
        this.channel = channel;
        this.listener = listener;
        this.outputLimit = outputLimit;
        this.output = new SessionOutput(channel, outputLimit);
    }

    int channel() {
        return channel;
    }

    /** Until STARTED arrives, an ERROR on this channel means the EXEC itself was rejected. */
    boolean started() {
        return started;
    }

    void onStarted() {
        started = true;
    }

    void onStdout(byte[] data) {
        output(data.length, () -> {
            listener.onStdout(data);
            credit(data.length);
        });
    }

    void onStderr(byte[] data) {
        output(data.length, () -> {
            listener.onStderr(data);
            credit(data.length);
        });
    }

    /**
     * A credited session gives the agent back what its listener has taken, from the delivery thread: the
     * guest sends no faster than the RPC client reads, and the 4 MiB cut-off is never reached (the agent
     * starts with 1 MiB of credit).
     */
    private void credit(int bytes) {
        if (!credited || finished.get()) return;
        try {
            connection.send(FrameCodec.encode(FrameCodec.OUTPUT_ACK, channel, java.nio.ByteBuffer.allocate(4).putInt(bytes).array()),
                    System.nanoTime() + CONTROL_WAIT_NANOS);
        } catch (IOException e) {
            // the connection is gone: the session fails with it
        }
    }

    void onExit(int code) {
        if (finished.compareAndSet(false, true)) {
            exitCode = code;
            // done only once the listener has seen all output and the exit: the RPC result must
            // not overtake the last exec.output notifications
            output.finish(() -> {
                try {
                    listener.onExit(code);
                } finally {
                    done.countDown();
                }
            });
        }
    }

    void onFailure(String message) {
        if (finished.compareAndSet(false, true)) {
            error = message;
            output.finish(() -> {
                try {
                    listener.onError(message);
                } finally {
                    done.countDown();
                }
            });
        }
    }

    private void output(int bytes, Runnable delivery) {
        if (!output.offer(bytes, delivery)) {
            cutOff();
        }
    }

    /**
     * The listener is too far behind: rather than buffer without bound or stall the connection's
     * reader (every other session of the VM), end this session now and kill its process.
     */
    private void cutOff() {
        if (!finished.compareAndSet(false, true)) return;
        String message = "exec output consumer too slow; output cut off after "
                + (outputLimit >> 20) + " MiB";
        error = message;
        LOG.warn("exec on channel {}: {}", channel, message);
        output.discardAndFinish(() -> listener.onError(message));
        done.countDown();
        // The channel stays registered until the agent's EXIT frees it; its output is ignored.
        ByteBuffer kill = FrameCodec.encode(FrameCodec.SIGNAL, channel, new byte[] {SIGKILL});
        if (!connection.trySend(kill)) {
            // the write queue is full even for control frames: wait for room, but not on the reader
            Thread.ofVirtual().name("exec-cutoff-" + channel).start(() -> {
                try {
                    connection.send(kill);
                } catch (IOException gone) {
                    // the connection is gone: nothing to signal through any more
                }
            });
        }
    }

    @Override
    public void writeStdin(byte[] data) throws IOException {
        ensureRunning();
        for (int off = 0; off < data.length; off += STDIN_CHUNK) {
            int end = Math.min(data.length, off + STDIN_CHUNK);
            if (connection.flowControl()) awaitStdinRoom(end - off);
            connection.send(FrameCodec.encode(FrameCodec.STDIN, channel, Arrays.copyOfRange(data, off, end)));
        }
    }

    /**
     * The agent holds at most 8 MiB of a session's stdin and ends the session past it; it acknowledges what
     * it has passed on (or dropped), so a fast writer (vm cp's tar, a big pipe into vm exec -i) waits here
     * for the child to read instead of overflowing it. Gives up once the session has ended.
     */
    private void awaitStdinRoom(int bytes) throws IOException {
        stdinLock.lock();
        try {
            while (stdinInFlight + bytes > STDIN_WINDOW && !finished.get()) {
                stdinRoom.await(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            stdinInFlight += bytes;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while the guest's stdin was full");
        } finally {
            stdinLock.unlock();
        }
    }

    void onStdinAck(int bytes) {
        stdinLock.lock();
        try {
            stdinInFlight = Math.max(0, stdinInFlight - (bytes & 0xFFFFFFFFL));
            stdinRoom.signalAll();
        } finally {
            stdinLock.unlock();
        }
    }

    @Override
    public void closeStdin() throws IOException {
        ensureRunning();
        connection.send(FrameCodec.encode(FrameCodec.STDIN, channel));
    }

    @Override
    public void resize(int rows, int cols) throws IOException {
        ensureRunning();
        connection.send(FrameCodec.encode(FrameCodec.RESIZE, channel, FrameCodec.resizePayload(rows, cols)),
                System.nanoTime() + CONTROL_WAIT_NANOS);
    }

    @Override
    public void signal(int signo) throws IOException {
        if (signo < 1 || signo > 64) {
            throw new IllegalArgumentException("bad signal number " + signo);
        }
        ensureRunning();
        connection.send(FrameCodec.encode(FrameCodec.SIGNAL, channel, new byte[] {(byte) signo}),
                System.nanoTime() + CONTROL_WAIT_NANOS);
    }

    @Override
    public int awaitExit() throws InterruptedException, AgentException {
        done.await();
        if (error != null) {
            throw new AgentException(error);
        }
        return exitCode;
    }

    private void ensureRunning() throws IOException {
        if (finished.get()) {
            throw new IOException("exec session on channel " + channel + " has already ended");
        }
    }
}
