package dev.banger.daemon.agent;

import java.io.IOException;
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

    private final AgentConnection connection;
    private final int channel;
    private final ExecListener listener;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile boolean started;
    private volatile int exitCode;
    private volatile String error;

    AgentSession(AgentConnection connection, int channel, ExecListener listener) {
        this.connection = connection;
        this.channel = channel;
        this.listener = listener;
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
        deliver(() -> listener.onStdout(data));
    }

    void onStderr(byte[] data) {
        deliver(() -> listener.onStderr(data));
    }

    void onExit(int code) {
        if (finished.compareAndSet(false, true)) {
            exitCode = code;
            deliver(() -> listener.onExit(code));
            done.countDown();
        }
    }

    void onFailure(String message) {
        if (finished.compareAndSet(false, true)) {
            error = message;
            deliver(() -> listener.onError(message));
            done.countDown();
        }
    }

    // A throwing listener must not take down the reader thread of the whole connection.
    private void deliver(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("exec listener on channel {} threw", channel, e);
        }
    }

    @Override
    public void writeStdin(byte[] data) throws IOException {
        ensureRunning();
        for (int off = 0; off < data.length; off += STDIN_CHUNK) {
            int end = Math.min(data.length, off + STDIN_CHUNK);
            connection.send(FrameCodec.encode(FrameCodec.STDIN, channel, Arrays.copyOfRange(data, off, end)));
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
        connection.send(FrameCodec.encode(FrameCodec.RESIZE, channel, FrameCodec.resizePayload(rows, cols)));
    }

    @Override
    public void signal(int signo) throws IOException {
        if (signo < 1 || signo > 64) {
            throw new IllegalArgumentException("bad signal number " + signo);
        }
        ensureRunning();
        connection.send(FrameCodec.encode(FrameCodec.SIGNAL, channel, new byte[] {(byte) signo}));
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
