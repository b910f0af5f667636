package dev.banger.core.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.core.Json;
import dev.banger.core.api.Method;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * JSON-RPC 2.0 client over the daemon's Unix socket, one JSON document per line.
 * Notifications that carry a {@code call_id} are routed to the listener of that call,
 * which is how progress and exec output stream back while a call is pending.
 */
public final class RpcClient implements AutoCloseable {
    /** Receives server notifications (progress, exec output) for one call. */
    @FunctionalInterface
    public interface NotificationListener {
        void onNotification(String method, JsonNode params);
    }

    private record Pending(CompletableFuture<JsonNode> result, NotificationListener listener) { }

    private final SocketChannel channel;
    private final OutputStream out;
    private final AtomicLong nextId = new AtomicLong(1);
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    private final Thread reader;

    private RpcClient(SocketChannel channel) {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        // A platform daemon thread: starting the virtual-thread scheduler costs a CLI tens of milliseconds.
        this.reader = Thread.ofPlatform().daemon().name("rpc-client-reader").start(this::readLoop);
    }

    public static RpcClient connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new RpcClient(ch);
    }

    /** A typed call: params encoded from, and the result decoded into, the method's core records. */
    public <P, R> R call(Method<P, R> method, P params) throws IOException {
        return method.decodeResult(call(method.name(), params));
    }

    public <P, R> R call(Method<P, R> method, P params, NotificationListener listener) throws IOException {
        return method.decodeResult(call(method.name(), params, listener));
    }

    public JsonNode call(String method, Object params) throws IOException {
        return call(method, params, (m, p) -> { });
    }

    public JsonNode call(String method, Object params, NotificationListener listener) throws IOException {
        CompletableFuture<JsonNode> future = start(method, params, listener).result();
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + method, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RpcException re) throw re;
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException(e.getCause());
        }
    }

    /** A request in flight: its id (to address client notifications to it) and its eventual result. */
    public record Call(long id, CompletableFuture<JsonNode> result) { }

    /** Sends a request and returns without waiting for the result. */
    public Call start(String method, Object params, NotificationListener listener) throws IOException {
        long id = nextId.getAndIncrement();
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        pending.put(id, new Pending(future, listener));
        ObjectNode req = Json.MAPPER.createObjectNode();
        req.put("jsonrpc", "2.0");
        req.put("id", id);
        req.put("method", method);
        req.set("params", params == null ? Json.MAPPER.createObjectNode() : Json.MAPPER.valueToTree(params));
        try {
            send(req);
        } catch (IOException e) {
            pending.remove(id);
            throw e;
        }
        return new Call(id, future);
    }

    /** Client-to-server notification, e.g. exec stdin for a pending call. */
    public void notify(String method, Object params) throws IOException {
        ObjectNode msg = Json.MAPPER.createObjectNode();
        msg.put("jsonrpc", "2.0");
        msg.put("method", method);
        msg.set("params", Json.MAPPER.valueToTree(params));
        send(msg);
    }

    private void send(JsonNode msg) throws IOException {
        byte[] line = (Json.MAPPER.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (writeLock) {
            out.write(line);
            out.flush();
        }
    }

    private void readLoop() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode msg = Json.MAPPER.readTree(line);
                if (msg.has("id") && !msg.get("id").isNull() && !msg.has("method")) {
                    Pending p = pending.remove(msg.get("id").asLong());
                    if (p == null) continue;
                    JsonNode err = msg.get("error");
                    if (err != null && !err.isNull()) {
                        p.result.completeExceptionally(new RpcException(err.path("code").asInt(RpcErrors.INTERNAL),
                                err.path("message").asText("unknown error")));
                    } else {
                        p.result.complete(msg.get("result"));
                    }
                } else if (msg.has("method")) {
                    JsonNode params = msg.path("params");
                    Pending p = pending.get(params.path("call_id").asLong(-1));
                    if (p != null) p.listener.onNotification(msg.get("method").asText(), params);
                }
            }
        } catch (IOException e) {
            // fall through: fail everything still pending
        }
        IOException lost = new IOException("connection to bangerd lost");
        pending.values().forEach(p -> p.result.completeExceptionally(lost));
        pending.clear();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket we are done with; nothing to recover
        }
        reader.interrupt();
    }
}
