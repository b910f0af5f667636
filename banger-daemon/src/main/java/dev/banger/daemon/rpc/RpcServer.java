package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.core.Json;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.store.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON-RPC 2.0 over a Unix socket (mode 0600), one JSON document per line. Each call runs on
 * its own virtual thread, so a slow vm.create never blocks a vm.ls. The edge is documented in
 * docs/rpc.md ("Connections"):
 *
 * <ul>
 *   <li>a request line longer than {@link Limits#maxRequestBytes} gets an invalid-request error and
 *       the connection is closed; no more than the limit is ever buffered;</li>
 *   <li>ids (string, number or null) are echoed as they came, and a duplicate in-flight id on one
 *       connection is refused;</li>
 *   <li>end of input means "no more requests": calls in flight still run and are answered, then
 *       the connection closes. Only a real disconnect cancels calls (their rollback still runs).
 *       Java cannot tell a half-close from a full close on read, so after end of input the server
 *       writes a single space (insignificant whitespace between JSON documents) at once and then
 *       every {@link Limits#probeInterval} while calls run: a write to a client that is gone fails,
 *       and that cancels its calls;</li>
 *   <li>every write has a deadline ({@link Limits#writeTimeout}); a client that stops reading is
 *       dropped and its calls cancelled, so it cannot pin a handler;</li>
 *   <li>any Throwable from a handler, Errors included, is logged and answered as an internal error;</li>
 *   <li>a failing accept (descriptors exhausted) backs off from 10 ms, doubling to 1 s.</li>
 * </ul>
 */
public final class RpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RpcServer.class);
    static final long ACCEPT_BACKOFF_FIRST_MS = 10;
    static final long ACCEPT_BACKOFF_MAX_MS = 1000;
    /** After an oversize line: how long the rest of it is read and dropped, so the client can read our error. */
    private static final Duration LINGER = Duration.ofSeconds(2);

    /**
     * The connection limits. {@code maxRequestBytes}: longest request line; {@code writeTimeout}:
     * longest a single write to a client may block; {@code probeInterval}: how often a client that
     * closed its sending side is checked for still being there.
     */
    public record Limits(int maxRequestBytes, Duration writeTimeout, Duration probeInterval) {
        public static final int DEFAULT_MAX_REQUEST_BYTES = 16 << 20;
        public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(30);
        public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(2);

        public Limits {
            if (maxRequestBytes < 1) throw new IllegalArgumentException("maxRequestBytes must be positive: " + maxRequestBytes);
            if (writeTimeout.isNegative() || writeTimeout.isZero()) throw new IllegalArgumentException("writeTimeout must be positive");
            if (probeInterval.isNegative() || probeInterval.isZero()) throw new IllegalArgumentException("probeInterval must be positive");
        }

        public static Limits defaults() {
            return new Limits(DEFAULT_MAX_REQUEST_BYTES, DEFAULT_WRITE_TIMEOUT, DEFAULT_PROBE_INTERVAL);
        }
    }

    /** Accepts the next connection; a seam so tests can inject accept failures (EMFILE). */
    interface Acceptor {
        SocketChannel accept() throws IOException;
    }

    private final Path socketPath;
    private final Map<String, RpcMethod> methods;
    private final Limits limits;
    private final UnaryOperator<Acceptor> acceptorDecorator;
    /** Fires write deadlines: one platform daemon thread for all connections. */
    private final ScheduledExecutorService deadlines;
    private ServerSocketChannel server;
    private Thread acceptThread;
    private volatile boolean closed;

    public RpcServer(Path socketPath, Map<String, RpcMethod> methods) {
        this(socketPath, methods, Limits.defaults());
    }

    public RpcServer(Path socketPath, Map<String, RpcMethod> methods, Limits limits) {
        this(socketPath, methods, limits, UnaryOperator.identity());
    }

    RpcServer(Path socketPath, Map<String, RpcMethod> methods, Limits limits, UnaryOperator<Acceptor> acceptorDecorator) {
        this.socketPath = socketPath;
        this.methods = Map.copyOf(methods);
        this.limits = limits;
        this.acceptorDecorator = acceptorDecorator;
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("rpc-write-deadlines").factory());
        timer.setRemoveOnCancelPolicy(true);
        this.deadlines = timer;
    }

    public void start() throws IOException {
        Files.deleteIfExists(socketPath);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        acceptThread = Thread.ofVirtual().name("rpc-accept").start(this::acceptLoop);
    }

    private void acceptLoop() {
        Acceptor acceptor = acceptorDecorator.apply(server::accept);
        long backoffMs = 0;
        while (!closed) {
            SocketChannel ch = null;
            try {
                ch = acceptor.accept();
                SocketChannel accepted = ch;
                Thread.ofVirtual().name("rpc-conn").start(() -> new Connection(accepted).serve());
                if (backoffMs > 0) LOG.info("accepting connections again");
                backoffMs = 0;
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException | OutOfMemoryError e) {
                // EMFILE/ENFILE, or no memory for the connection's thread: retrying at once would
                // spin a core and flood the log while the condition lasts.
                if (closed) return;
                closeQuietly(ch);
                backoffMs = backoffMs == 0 ? ACCEPT_BACKOFF_FIRST_MS : Math.min(ACCEPT_BACKOFF_MAX_MS, backoffMs * 2);
                if (backoffMs == ACCEPT_BACKOFF_FIRST_MS) {
                    LOG.warn("accept failed ({}); retrying in {} ms, backing off up to {} ms", e.getMessage(), backoffMs, ACCEPT_BACKOFF_MAX_MS);
                } else {
                    LOG.debug("accept failed ({}); retrying in {} ms", e.getMessage(), backoffMs);
                }
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    if (closed) return;
                }
            }
        }
    }

    /** One client connection: reads requests, runs each on its own thread, writes answers and notifications. */
    private final class Connection {
        private final SocketChannel ch;
        private final OutputStream out;
        /** In-flight calls by their id's JSON text ({@code "a"} and {@code 1} are different ids). */
        private final Map<String, CallContext> calls = new ConcurrentHashMap<>();
        /** Held for every write; a call's removal and its answer happen together under it. */
        private final Object writeLock = new Object();
        /** Signalled when a call finishes, for the wait after end of input. */
        private final Object callsChanged = new Object();
        private final AtomicBoolean cancelled = new AtomicBoolean();
        private volatile boolean gone;

        Connection(SocketChannel ch) {
            this.ch = ch;
            this.out = Channels.newOutputStream(ch);
        }

        void serve() {
            try (InputStream in = Channels.newInputStream(ch)) {
                RequestLineReader lines = new RequestLineReader(in, limits.maxRequestBytes());
                try {
                    while (!gone && lines.next()) {
                        if (!lines.isBlank()) handle(lines.line(), lines.length());
                    }
                } catch (RequestLineReader.LineTooLong e) {
                    refuseOversizeLine(in);
                    return;
                }
                if (!gone) answerRemainingCalls();
            } catch (IOException e) {
                LOG.debug("connection ended: {}", e.getMessage());
            } catch (InterruptedException e) {
                LOG.debug("connection thread interrupted");
            } catch (Throwable t) {
                LOG.error("connection failed", t);
            } finally {
                disconnect();
            }
        }

        /** Sends the error, stops sending, then reads and drops the client's rest for a while so it sees the error. */
        private void refuseOversizeLine(InputStream in) {
            LOG.warn("refused a request line longer than {} bytes; closing the connection", limits.maxRequestBytes());
            sendError(null, RpcErrors.INVALID_REQUEST, "invalid request: request line longer than the limit of "
                    + limits.maxRequestBytes() + " bytes (rpc_max_request_mib); closing the connection");
            gone = true;
            cancelCalls();
            ScheduledFuture<?> lingerEnd = deadlines.schedule(() -> closeQuietly(ch), LINGER.toMillis(), TimeUnit.MILLISECONDS);
            try {
                ch.shutdownOutput();
                byte[] discard = new byte[64 * 1024];
                while (in.read(discard) >= 0) {
                    // dropped: the connection is being closed
                }
            } catch (IOException e) {
                // closed at the end of the linger, or the client went away
            } finally {
                lingerEnd.cancel(false);
            }
        }

        /**
         * End of input: the client sends nothing more but may still read. Probe whether it is still
         * there (a write to a client that closed fails), and wait until every call has answered.
         */
        private void answerRemainingCalls() throws InterruptedException {
            long probeMs = limits.probeInterval().toMillis();
            while (!gone) {
                synchronized (writeLock) {
                    if (calls.isEmpty()) return;
                    if (!gone) write(new byte[] {' '});
                }
                synchronized (callsChanged) {
                    if (!calls.isEmpty() && !gone) callsChanged.wait(probeMs);
                }
            }
        }

        void handle(byte[] line, int length) {
            JsonNode msg;
            try {
                msg = Json.MAPPER.readTree(line, 0, length);
            } catch (IOException e) {
                String why = e instanceof com.fasterxml.jackson.core.JacksonException je ? je.getOriginalMessage() : e.getMessage();
                sendError(null, RpcErrors.PARSE_ERROR, "parse error: " + why);
                return;
            }
            if (msg == null || !msg.isObject()) {
                sendError(null, RpcErrors.INVALID_REQUEST, "invalid request: expected a JSON object (batches are not supported)");
                return;
            }
            JsonNode idNode = msg.get("id");
            if (idNode != null && !idNode.isTextual() && !idNode.isNumber() && !idNode.isNull()) {
                sendError(null, RpcErrors.INVALID_REQUEST, "invalid request: id must be a string, a number or null");
                return;
            }
            String method = msg.path("method").isTextual() ? msg.get("method").asText() : null;
            if (method == null) {
                sendError(idNode, RpcErrors.INVALID_REQUEST, "invalid request: missing method");
                return;
            }
            JsonNode params = msg.has("params") ? msg.get("params") : Json.MAPPER.createObjectNode();
            if (idNode == null) {
                // A notification (no id member): addressed to a call in flight by its call_id.
                JsonNode target = params.get("call_id");
                CallContext call = target == null ? null : calls.get(key(target));
                if (call != null) call.deliverInbound(method, params);
                return;
            }
            RpcMethod impl = methods.get(method);
            if (impl == null) {
                sendError(idNode, RpcErrors.METHOD_NOT_FOUND, "unknown method: " + method);
                return;
            }
            String key = key(idNode);
            CallContext ctx = new CallContext(idNode, this::sendNotification);
            if (calls.putIfAbsent(key, ctx) != null) {
                sendError(idNode, RpcErrors.INVALID_REQUEST, "invalid request: a call with id " + key
                        + " is already in flight on this connection");
                return;
            }
            if (cancelled.get()) ctx.cancel();
            try {
                Thread.ofVirtual().name("rpc-" + method).start(() -> run(key, idNode, method, impl, params, ctx));
            } catch (Throwable t) {
                LOG.error("could not start a thread for {}", method, t);
                finish(key, ctx, errorEnvelope(idNode, RpcErrors.INTERNAL, "internal error: could not start " + method + ": " + t));
            }
        }

        private void run(String key, JsonNode idNode, String method, RpcMethod impl, JsonNode params, CallContext ctx) {
            ctx.bindThread(Thread.currentThread());
            JsonNode response = null;
            try {
                Object result = impl.call(params, ctx);
                ObjectNode ok = envelope(idNode);
                ok.set("result", Json.MAPPER.valueToTree(result));
                response = ok;
            } catch (RpcException e) {
                response = errorEnvelope(idNode, e.code(), e.getMessage());
            } catch (InterruptedException e) {
                response = errorEnvelope(idNode, RpcErrors.CANCELLED, method + " cancelled");
            } catch (StoreException e) {
                LOG.error("{} failed in the store", method, e);
                response = errorEnvelope(idNode, RpcErrors.INTERNAL, "store error: " + e.getMessage());
            } catch (Exception e) {
                // Unexpected (an IllegalArgumentException or NullPointerException from deep inside, an
                // IOException): "failed" with its message, never "invalid" — input errors are raised on purpose.
                LOG.warn("{} failed: {}", method, e.toString());
                String message = e.getMessage() == null ? e.toString() : e.getMessage();
                response = errorEnvelope(idNode, RpcErrors.FAILED, message);
            } catch (Throwable t) {
                // StackOverflowError, OutOfMemoryError, a bug: the stack has unwound, so there is room
                // to answer; the caller must not wait forever, and the server keeps serving.
                LOG.error("{} failed with {}", method, t.toString(), t);
                response = errorEnvelope(idNode, RpcErrors.INTERNAL, "internal error in " + method + ": " + t);
            } finally {
                // Writing on an interrupted thread would close the channel under everyone.
                Thread.interrupted();
                finish(key, ctx, response);
            }
        }

        /** Forgets the call and writes its answer in one step, so a client may reuse the id as soon as it has the answer. */
        private void finish(String key, CallContext ctx, JsonNode response) {
            try {
                synchronized (writeLock) {
                    calls.remove(key, ctx);
                    if (response != null) {
                        sendLocked(response, key);
                    } else if (!gone) {
                        write(lastResortAnswer(key));
                    }
                }
            } finally {
                ctx.finish();  // its queued client notifications have no receiver any more
                synchronized (callsChanged) {
                    callsChanged.notifyAll();
                }
            }
        }

        private void sendNotification(String method, Object params) {
            ObjectNode msg = Json.MAPPER.createObjectNode();
            msg.put("jsonrpc", "2.0");
            msg.put("method", method);
            msg.set("params", Json.MAPPER.valueToTree(params));
            send(msg);
        }

        private void sendError(JsonNode idNode, int code, String message) {
            send(errorEnvelope(idNode, code, message));
        }

        private ObjectNode errorEnvelope(JsonNode idNode, int code, String message) {
            ObjectNode resp = envelope(idNode);
            ObjectNode err = resp.putObject("error");
            err.put("code", code);
            err.put("message", message == null ? "error" : message.lines().findFirst().orElse("error"));
            return resp;
        }

        private ObjectNode envelope(JsonNode idNode) {
            ObjectNode resp = Json.MAPPER.createObjectNode();
            resp.put("jsonrpc", "2.0");
            resp.set("id", idNode == null ? Json.MAPPER.nullNode() : idNode);
            return resp;
        }

        private void send(JsonNode msg) {
            synchronized (writeLock) {
                sendLocked(msg, null);
            }
        }

        /** Serialises and writes one message; {@code idKey} names the call for a last-resort answer if that fails. */
        private void sendLocked(JsonNode msg, String idKey) {
            if (gone) return;
            byte[] bytes;
            try {
                bytes = (Json.MAPPER.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8);
            } catch (Throwable t) {
                LOG.error("could not serialise a message", t);
                if (idKey == null) return;
                bytes = lastResortAnswer(idKey);
            }
            write(bytes);
        }

        /** An internal-error answer built without Jackson, for when building the real one failed (no memory). */
        private byte[] lastResortAnswer(String idKey) {
            return ("{\"jsonrpc\":\"2.0\",\"id\":" + idKey + ",\"error\":{\"code\":" + RpcErrors.INTERNAL
                    + ",\"message\":\"internal error: the answer could not be built\"}}\n").getBytes(StandardCharsets.UTF_8);
        }

        /** Writes under {@link #writeLock} with a deadline; a failed or timed-out write ends the connection. */
        private void write(byte[] bytes) {
            ScheduledFuture<?> deadline = deadlines.schedule(this::writeTimedOut, limits.writeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                LOG.debug("client gone: {}", e.toString());
                lost();
            } finally {
                deadline.cancel(false);
            }
        }

        private void writeTimedOut() {
            LOG.warn("a client did not read for {} ms; dropping its connection and cancelling its calls", limits.writeTimeout().toMillis());
            lost();
        }

        /**
         * The client is unreachable. Closing the channel unblocks the connection's thread (in read,
         * or waiting after end of input), which then cancels the calls: cancel hooks never run
         * under the write lock or on the deadline timer.
         */
        private void lost() {
            gone = true;
            closeQuietly(ch);
            synchronized (callsChanged) {
                callsChanged.notifyAll();
            }
        }

        /** The client is gone (or we are done with it): cancel its calls, once, and close. */
        private void disconnect() {
            gone = true;
            cancelCalls();
            closeQuietly(ch);
            synchronized (callsChanged) {
                callsChanged.notifyAll();
            }
        }

        private void cancelCalls() {
            if (cancelled.compareAndSet(false, true)) calls.values().forEach(CallContext::cancel);
        }
    }

    /** A map key for an id: its JSON text, so the string "1" and the number 1 stay distinct. */
    private static String key(JsonNode id) {
        return id.toString();
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (server != null) server.close();
        } catch (IOException ignored) {
            // shutting down
        }
        if (acceptThread != null) acceptThread.interrupt();
        deadlines.shutdownNow();
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException ignored) {
            // best effort: next start removes a stale socket anyway
        }
    }
}
