package dev.banger.daemon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host side of the guest agent protocol over one stream (QEMU's virtio-serial chardev socket).
 * One virtual reader thread dispatches frames to sessions by channel and never waits on one:
 * each session delivers its output on its own thread ({@link SessionOutput}). One writer thread
 * ({@link FrameWriter}) sends queued frames, so a guest that stops reading never blocks
 * {@link #close()}, and {@link #shutdown} waits for it only up to its bound.
 */
public final class AgentConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentConnection.class);
    private static final ObjectMapper JSON = dev.banger.core.Json.MAPPER;   // tree model only: naming and dates do not apply
    private static final long HELLO_RETRY_MS = 250;
    private static final long CONNECT_RETRY_MS = 50;
    /** How long {@link #shutdown(boolean)} waits for the guest to take the frame and acknowledge it. */
    static final Duration SHUTDOWN_BOUND = Duration.ofSeconds(2);
    /** Undelivered output one session may hold before it is cut off (see {@link AgentSession}). */
    static final long SESSION_OUTPUT_LIMIT = 4L << 20;
    static final String CONNECTION_LOST = "agent connection lost";

    private final SocketChannel channel;
    private final FrameWriter writer;
    private final long sessionOutputLimit;
    /** What the guest makes us log is rate-limited and truncated: the guest is untrusted. */
    private final GuestLogLimiter guestLog = new GuestLogLimiter(LOG, "agent");
    private final Map<Integer, AgentSession> sessions = new ConcurrentHashMap<>();
    // A random start makes it unlikely that a restarted daemon reuses a channel the
    // agent still has a session on (sessions outlive host reconnects).
    private final AtomicInteger nextChannel = new AtomicInteger(ThreadLocalRandom.current().nextInt(1, 1 << 30));
    private final ReentrantLock helloLock = new ReentrantLock();
    private final Condition helloChanged = helloLock.newCondition();
    private long helloCount;
    private AgentHello lastHello;
    /**
     * Whether the agent does flow control (its HELLO says so): it acknowledges stdin, so sessions keep at most
     * a window of it in flight, and takes OUTPUT_ACK credit for sessions that ask for it.
     */
    private volatile boolean flowControl;
    private final Semaphore shutdownAcks = new Semaphore(0);
    private volatile boolean open = true;
    private final Thread reader;

    private AgentConnection(SocketChannel channel, long sessionOutputLimit) {
        this.channel = channel;
        this.sessionOutputLimit = sessionOutputLimit;
        this.writer = new FrameWriter(channel, this::writeFailed);
        this.reader = Thread.ofVirtual().name("agent-reader").unstarted(this::readLoop);
    }

    /** Connects to QEMU's chardev Unix socket, retrying until it accepts or timeout. */
    public static AgentConnection connect(Path unixSocket, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                // Non-blocking: a blocking connect to a listener whose backlog is full (QEMU's chardev
                // queues one client while it serves another) waits with no bound, past any deadline.
                ch.configureBlocking(false);
                if (!ch.connect(UnixDomainSocketAddress.of(unixSocket)) && !ch.finishConnect()) {
                    throw new IOException("connect in progress");
                }
                ch.configureBlocking(true);
                return over(ch);
            } catch (IOException e) {
                ch.close();
                if (System.nanoTime() >= deadline) {
                    throw new IOException("agent socket " + unixSocket + " did not accept within " + timeout, e);
                }
            }
            try {
                Thread.sleep(CONNECT_RETRY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while connecting to " + unixSocket);
            }
        }
    }

    /** Wraps an already connected channel (tests). */
    public static AgentConnection over(SocketChannel channel) {
        return over(channel, SESSION_OUTPUT_LIMIT);
    }

    /** Tests: a smaller per-session output bound, to reach the cut-off quickly. */
    static AgentConnection over(SocketChannel channel, long sessionOutputLimit) {
        AgentConnection c = new AgentConnection(channel, sessionOutputLimit);
        c.writer.start();
        c.reader.start();
        return c;
    }

    /** Sends HELLO_REQ every 250 ms until a HELLO arrives; throws java.util.concurrent.TimeoutException. */
    public AgentHello awaitHello(Duration timeout) throws IOException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long seen;
        helloLock.lock();
        try {
            seen = helloCount;
        } finally {
            helloLock.unlock();
        }
        while (true) {
            ensureOpen();
            long roundEnd = Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HELLO_RETRY_MS));
            try {
                send(FrameCodec.encode(FrameCodec.HELLO_REQ, 0), roundEnd);
            } catch (FrameWriter.WriteTimeoutException busy) {
                // the guest is not reading right now; a HELLO it sends on its own still counts
            }
            helloLock.lock();
            try {
                long left;
                while (helloCount == seen && open && (left = roundEnd - System.nanoTime()) > 0) {
                    helloChanged.awaitNanos(left);
                }
                if (helloCount != seen) {
                    return lastHello;
                }
            } finally {
                helloLock.unlock();
            }
            ensureOpen();
            if (System.nanoTime() >= deadline) {
                throw new TimeoutException("no HELLO from the guest agent within " + timeout);
            }
        }
    }

    public ExecSession exec(ExecRequest request, ExecListener listener) throws IOException {
        ensureOpen();
        boolean credited = request.credited() && flowControl;
        byte[] payload = FrameCodec.execPayload(credited ? request
                : new ExecRequest(request.argv(), request.env(), request.cwd(), request.tty(), request.rows(), request.cols()));
        AgentSession session = register(listener, credited);
        try {
            send(FrameCodec.encode(FrameCodec.EXEC, session.channel(), payload));
        } catch (IOException e) {
            sessions.remove(session.channel());
            throw e;
        }
        // the reader may have failed all sessions just before ours was registered
        if (!open && sessions.remove(session.channel()) != null) {
            session.onFailure(CONNECTION_LOST);
        }
        return session;
    }

    private AgentSession register(ExecListener listener, boolean credited) {
        while (true) {
            int ch = nextChannel.getAndIncrement() & 0x7FFF_FFFF;
            if (ch == 0) {
                continue;
            }
            AgentSession s = new AgentSession(this, ch, listener, sessionOutputLimit, credited);
            if (sessions.putIfAbsent(ch, s) == null) {
                return s;
            }
        }
    }

    /** Sends SHUTDOWN and waits up to {@link #SHUTDOWN_BOUND} in all; returns whether it was acknowledged. */
    public boolean shutdown(boolean reboot) throws IOException, InterruptedException {
        return shutdown(reboot, SHUTDOWN_BOUND);
    }

    /**
     * Sends SHUTDOWN and waits for the ACK, both within {@code bound}: a guest that does not read
     * its channel gets false at the bound (the caller falls back to ACPI, then kill), never a hang.
     */
    public boolean shutdown(boolean reboot, Duration bound) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        ensureOpen();
        shutdownAcks.drainPermits();
        try {
            send(FrameCodec.encode(FrameCodec.SHUTDOWN, 0, new byte[] {(byte) (reboot ? 1 : 0)}), deadline);
        } catch (FrameWriter.WriteTimeoutException notReading) {
            return false;
        }
        return shutdownAcks.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    public boolean isOpen() {
        return open;
    }

    /** Never waits on the guest: a write in progress ends with the channel, queued frames are dropped. */
    @Override
    public void close() {
        open = false;
        writer.close();
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing agent channel", e);
        }
        // wait briefly so listeners have seen "connection lost" when close() returns
        try {
            reader.join(Duration.ofSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Queues a frame, waiting for room as long as it takes (back-pressure); interruptible; fails on close. */
    void send(ByteBuffer frame) throws IOException {
        writer.send(frame, Long.MAX_VALUE);
    }

    /** Queues a frame, waiting for room until {@code deadlineNanos} at most. */
    void send(ByteBuffer frame, long deadlineNanos) throws IOException {
        writer.send(frame, deadlineNanos);
    }

    /** Queues a small frame if there is room now; false otherwise (used from the reader: it must not wait). */
    boolean trySend(ByteBuffer frame) {
        try {
            writer.send(frame, System.nanoTime());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // the writer is the only one who can tell that the stream broke while the guest reads nothing
    private void writeFailed(IOException e) {
        if (open) {
            LOG.info("agent connection write failed: {}", e.getMessage());
        }
        try {
            channel.close();  // ends the reader too, which fails every session
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void ensureOpen() throws IOException {
        if (!open) {
            throw new IOException(CONNECTION_LOST);
        }
    }

    private void readLoop() {
        try {
            while (true) {
                dispatch(FrameCodec.read(channel));
            }
        } catch (IOException e) {
            if (open) {
                guestLog.info("connection ended: {}", String.valueOf(e.getMessage()));
            }
        } catch (RuntimeException e) {
            LOG.error("agent reader failed", e);
        } finally {
            connectionLost();
        }
    }

    private void connectionLost() {
        open = false;
        writer.close();
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing agent channel", e);
        }
        for (Integer ch : sessions.keySet()) {
            AgentSession s = sessions.remove(ch);
            if (s != null) {
                s.onFailure(CONNECTION_LOST);
            }
        }
        helloLock.lock();
        try {
            helloChanged.signalAll();
        } finally {
            helloLock.unlock();
        }
    }

    private void dispatch(FrameCodec.Frame f) throws IOException {
        switch (f.type()) {
            case FrameCodec.HELLO -> onHello(f);
            case FrameCodec.SHUTDOWN_ACK -> shutdownAcks.release();
            case FrameCodec.STARTED -> withSession(f, AgentSession::onStarted);
            case FrameCodec.STDOUT -> withSession(f, s -> s.onStdout(f.payload()));
            case FrameCodec.STDERR -> withSession(f, s -> s.onStderr(f.payload()));
            case FrameCodec.STDIN_ACK -> {
                int acked = f.int32();   // a malformed ack ends the connection, as any bad frame does
                withSession(f, s -> s.onStdinAck(acked));
            }
            case FrameCodec.EXIT -> {
                int code = f.int32();
                AgentSession s = sessions.remove(f.channel());
                if (s != null) {
                    s.onExit(code);
                }
            }
            case FrameCodec.EXEC_ERROR -> {
                AgentSession s = sessions.remove(f.channel());
                if (s != null) {
                    s.onFailure(f.text());
                }
            }
            case FrameCodec.ERROR -> onError(f);
            default -> guestLog.warn("ignoring unknown frame type 0x{}", Integer.toHexString(f.type()));
        }
    }

    /** Whether the connected agent does flow control (an agent older than it gets stdin unthrottled and no credit, as before). */
    boolean flowControl() {
        return flowControl;
    }

    private void withSession(FrameCodec.Frame f, java.util.function.Consumer<AgentSession> action) {
        AgentSession s = sessions.get(f.channel());
        if (s != null) {
            action.accept(s);
        } else {
            // e.g. output of a session started by a previous daemon before it restarted
            LOG.debug("frame 0x{} for unknown channel {}", Integer.toHexString(f.type()), f.channel());
        }
    }

    private void onError(FrameCodec.Frame f) {
        AgentSession s = sessions.get(f.channel());
        if (s != null && !s.started() && sessions.remove(f.channel(), s)) {
            // The agent processes frames in order, so an ERROR before STARTED rejects the EXEC.
            s.onFailure(f.text());
            return;
        }
        guestLog.warn("reported a protocol error on channel {}: {}", f.channel(), f.text());
    }

    private void onHello(FrameCodec.Frame f) {
        AgentHello hello;
        try {
            JsonNode n = JSON.readTree(f.payload());
            hello = new AgentHello(n.path("agent_version").asText(""), n.path("kernel").asText(""),
                    n.path("uptime_ms").asLong(0), n.path("hostname").asText(""));
            flowControl = n.path("flow_control").asBoolean(false);
        } catch (IOException e) {
            guestLog.warn("sent an unreadable HELLO: {}", String.valueOf(e.getMessage()));
            return;
        }
        helloLock.lock();
        try {
            lastHello = hello;
            helloCount++;
            helloChanged.signalAll();
        } finally {
            helloLock.unlock();
        }
    }
}
