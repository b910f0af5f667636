package dev.banger.daemon.fetch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on 127.0.0.1: serves byte arrays by path, fixed status codes, a "stall"
 * path that sends part of its body and then waits until the server is closed, 401 challenges and
 * an endless body. Shared by the
 * download, catalog and puller tests.
 */
public final class TestHttpServer implements AutoCloseable, AfterEachCallback {
    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final Map<String, byte[]> stalls = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    public final CountDownLatch stallSent = new CountDownLatch(1);
    private HttpClient http;

    /** For {@code @RegisterExtension}: closed after each test. */
    public static TestHttpServer perTest() {
        try {
            return new TestHttpServer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public TestHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(pool);
        server.start();
    }

    /** An HTTP/1.1 client for this server (5 s connect timeout), closed with it. */
    public synchronized HttpClient http() {
        if (http == null) {
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        }
        return http;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public String serve(String path, byte[] body) {
        files.put(path, body);
        return url(path);
    }

    public String status(String path, int code) {
        statuses.put(path, code);
        return url(path);
    }

    /** Announces fullLength bytes but sends only the first sent bytes of body, then hangs. */
    public String stall(String path, byte[] body, int sent) {
        byte[] part = new byte[sent];
        System.arraycopy(body, 0, part, 0, sent);
        stalls.put(path, part);
        lengths.put(path, (long) body.length);
        return url(path);
    }

    private final Map<String, Long> lengths = new ConcurrentHashMap<>();
    private final Map<String, String> challenges = new ConcurrentHashMap<>();
    private final Map<String, Boolean> endless = new ConcurrentHashMap<>();

    /** Answers 401 with this WWW-Authenticate header (a registry asking for a token). */
    public String challenge(String path, String wwwAuthenticate) {
        challenges.put(path, wwwAuthenticate);
        return url(path);
    }

    /** Answers 200 with a chunked body of 'a's that never ends (until the client goes or the server closes). */
    public String endless(String path) {
        endless.put(path, true);
        return url(path);
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        try (ex) {
            Integer code = statuses.get(path);
            if (code != null) {
                byte[] msg = ("status " + code).getBytes();
                ex.sendResponseHeaders(code, msg.length);
                ex.getResponseBody().write(msg);
                return;
            }
            String challenge = challenges.get(path);
            if (challenge != null) {
                ex.getResponseHeaders().add("WWW-Authenticate", challenge);
                ex.sendResponseHeaders(401, -1);
                return;
            }
            if (endless.containsKey(path)) {
                ex.sendResponseHeaders(200, 0);
                OutputStream os = ex.getResponseBody();
                byte[] chunk = new byte[64 << 10];
                java.util.Arrays.fill(chunk, (byte) 'a');
                while (release.getCount() > 0) os.write(chunk);
                return;
            }
            byte[] part = stalls.get(path);
            if (part != null) {
                ex.sendResponseHeaders(200, lengths.get(path));
                OutputStream os = ex.getResponseBody();
                os.write(part);
                os.flush();
                stallSent.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            byte[] body = files.get(path);
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        } catch (IOException e) {
            // The client went away (e.g. an aborted pull); nothing to do.
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (http != null) {
                http.close();
            }
        }
        release.countDown();
        server.stop(0);
        pool.shutdownNow();
    }
}
