package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.core.Json;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.store.StoreException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON-RPC 2.0 over a Unix socket (mode 0600), one JSON document per line. Each call runs on
 * its own virtual thread, so a slow vm.create never blocks a vm.ls. When a client disconnects,
 * its in-flight calls are cancelled (their rollback still runs).
 */
public final class RpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RpcServer.class);

    private final Path socketPath;
    private final Map<String, RpcMethod> methods;
    private ServerSocketChannel server;
    private volatile boolean closed;

    public RpcServer(Path socketPath, Map<String, RpcMethod> methods) {
        this.socketPath = socketPath;
        this.methods = Map.copyOf(methods);
    }

    public void start() throws IOException {
        Files.deleteIfExists(socketPath);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        Thread.ofVirtual().name("rpc-accept").start(this::acceptLoop);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                Thread.ofVirtual().name("rpc-conn").start(() -> serve(ch));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) LOG.warn("accept failed: {}", e.getMessage());
            }
        }
    }

    private void serve(SocketChannel ch) {
        Connection conn = new Connection(ch);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) conn.handle(line);
            }
        } catch (IOException e) {
            LOG.debug("connection ended: {}", e.getMessage());
        } finally {
            conn.cancelAll();
            try {
                ch.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    private final class Connection {
        private final OutputStream out;
        private final Map<Long, CallContext> calls = new ConcurrentHashMap<>();
        private volatile boolean gone;

        Connection(SocketChannel ch) {
            this.out = Channels.newOutputStream(ch);
        }

        void handle(String line) {
            JsonNode msg;
            try {
                msg = Json.MAPPER.readTree(line);
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                sendError(null, RpcErrors.PARSE_ERROR, "parse error: " + e.getOriginalMessage());
                return;
            }
            JsonNode idNode = msg.get("id");
            String method = msg.path("method").asText(null);
            if (method == null) {
                sendError(idNode, RpcErrors.INVALID_REQUEST, "invalid request: missing method");
                return;
            }
            JsonNode params = msg.has("params") ? msg.get("params") : Json.MAPPER.createObjectNode();
            if (idNode == null || idNode.isNull()) {
                CallContext target = calls.get(params.path("call_id").asLong(-1));
                if (target != null) target.deliverInbound(method, params);
                return;
            }
            RpcMethod impl = methods.get(method);
            if (impl == null) {
                sendError(idNode, RpcErrors.METHOD_NOT_FOUND, "unknown method: " + method);
                return;
            }
            long id = idNode.asLong();
            CallContext ctx = new CallContext(id, this::sendNotification);
            calls.put(id, ctx);
            Thread.ofVirtual().name("rpc-" + method).start(() -> run(idNode, method, impl, params, ctx));
        }

        private void run(JsonNode idNode, String method, RpcMethod impl, JsonNode params, CallContext ctx) {
            ctx.bindThread(Thread.currentThread());
            try {
                Object result = impl.call(params, ctx);
                ObjectNode resp = envelope(idNode);
                resp.set("result", Json.MAPPER.valueToTree(result));
                send(resp);
            } catch (RpcException e) {
                sendError(idNode, e.code(), e.getMessage());
            } catch (IllegalArgumentException e) {
                sendError(idNode, RpcErrors.INVALID_ARGUMENT, e.getMessage());
            } catch (InterruptedException e) {
                sendError(idNode, RpcErrors.CANCELLED, method + " cancelled");
            } catch (StoreException e) {
                LOG.error("{} failed in the store", method, e);
                sendError(idNode, RpcErrors.INTERNAL, "store error: " + e.getMessage());
            } catch (Exception e) {
                LOG.warn("{} failed: {}", method, e.toString());
                String message = e.getMessage() == null ? e.toString() : e.getMessage();
                sendError(idNode, RpcErrors.FAILED, message);
            } finally {
                calls.remove(ctx.callId());
                ctx.finish();
                Thread.interrupted();
            }
        }

        void cancelAll() {
            gone = true;
            calls.values().forEach(CallContext::cancel);
        }

        private void sendNotification(String method, Map<String, Object> params) {
            ObjectNode msg = Json.MAPPER.createObjectNode();
            msg.put("jsonrpc", "2.0");
            msg.put("method", method);
            msg.set("params", Json.MAPPER.valueToTree(params));
            send(msg);
        }

        private void sendError(JsonNode idNode, int code, String message) {
            ObjectNode resp = envelope(idNode);
            ObjectNode err = resp.putObject("error");
            err.put("code", code);
            err.put("message", message == null ? "error" : message.lines().findFirst().orElse("error"));
            send(resp);
        }

        private ObjectNode envelope(JsonNode idNode) {
            ObjectNode resp = Json.MAPPER.createObjectNode();
            resp.put("jsonrpc", "2.0");
            resp.set("id", idNode == null ? Json.MAPPER.nullNode() : idNode);
            return resp;
        }

        private void send(JsonNode msg) {
            if (gone) return;
            try {
                byte[] bytes = (Json.MAPPER.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8);
                synchronized (this) {
                    out.write(bytes);
                    out.flush();
                }
            } catch (IOException e) {
                gone = true;
            }
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
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException ignored) {
            // best effort: next start removes a stale socket anyway
        }
    }
}
