package dev.banger.daemon.image.oci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real registry (distribution's {@code docker-registry serve}) on {@code 127.0.0.1:<free port>}
 * for tests, storing under a private temp dir. Use with try-with-resources: {@link #close()} stops
 * the process by PID and deletes the temp dir.
 *
 * <pre>{@code
 * try (TestRegistry reg = TestRegistry.start()) {
 *     reg.push(written, "demo/app:v1");                    // skopeo copy oci:LAYOUT:TAG -> registry
 *     ImageReference ref = ImageReference.parse(reg.host() + "/demo/app:v1");
 * }
 * }</pre>
 *
 * <p>skopeo gzips uncompressed ({@code tar}) layers when it pushes, changing their digests and the
 * manifest's; {@link #pushExact} uploads a layout byte for byte instead.
 *
 * <p>{@link #startWithTokenAuth(String, String)} runs the registry with distribution's token auth
 * and an in-test token server that issues RS256 JWTs to one user (Basic credentials) for any
 * repository; {@link #push} then passes those credentials to skopeo by itself.
 *
 * <p>Requires {@code docker-registry}, {@code skopeo} and (token mode) {@code openssl} on PATH.
 */
public final class TestRegistry implements AutoCloseable {
    /** One line of the registry's access log. */
    public record Request(String method, String path, int status) { }

    private static final Pattern ACCESS = Pattern.compile("\"([A-Z]+) (\\S+) HTTP/[0-9.]+\" (\\d{3}) ");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final int port;
    private final Process process;
    private final TokenServer tokens;

    private TestRegistry(Path dir, int port, Process process, TokenServer tokens) {
        this.dir = dir;
        this.port = port;
        this.process = process;
        this.tokens = tokens;
    }

    /** An anonymous registry: anyone may push and pull. */
    public static TestRegistry start() throws IOException, InterruptedException {
        return launch(null, null);
    }

    /** A registry requiring Bearer tokens, which only {@code user}/{@code password} can obtain. */
    public static TestRegistry startWithTokenAuth(String user, String password) throws IOException, InterruptedException {
        return launch(user, password);
    }

    private static TestRegistry launch(String user, String password) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("banger-test-registry-");
        TokenServer tokens = null;
        Process p = null;
        try {
            String auth = "";
            if (user != null) {
                tokens = TokenServer.start(dir, user, password);
                auth = """
                        auth:
                          token:
                            realm: %s
                            service: %s
                            issuer: %s
                            rootcertbundle: %s
                        """.formatted(tokens.realm(), TokenServer.SERVICE, TokenServer.ISSUER, tokens.cert);
            }
            for (int attempt = 1; ; attempt++) {
                int port = freePort();
                Path config = dir.resolve("config.yml");
                Files.writeString(config, """
                        version: 0.1
                        log:
                          level: info
                          accesslog:
                            disabled: false
                        storage:
                          filesystem:
                            rootdirectory: %s
                          delete:
                            enabled: true
                        http:
                          addr: 127.0.0.1:%d
                        %s""".formatted(dir.resolve("storage"), port, auth));
                Path log = dir.resolve("registry.log");
                p = new ProcessBuilder("docker-registry", "serve", config.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
                if (awaitReady(p, port)) return new TestRegistry(dir, port, p, tokens);
                stop(p);
                String out = Files.readString(log);
                if (attempt < 3 && out.contains("address already in use")) continue;
                throw new IOException("docker-registry did not come up on port " + port + ":\n" + out);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (p != null) stop(p);
            if (tokens != null) tokens.stop();
            deleteTree(dir);
            throw e;
        }
    }

    private static boolean awaitReady(Process p, int port) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) return false;
            try {
                int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) return true;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** {@code 127.0.0.1:PORT}, the registry part of image references. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The registry's filesystem storage root ({@code docker/registry/v2/...} lives under it). */
    public Path storageDir() {
        return dir.resolve("storage");
    }

    /** Where the registry keeps blob {@code digest}'s bytes; overwrite it to serve a corrupted blob. */
    public Path blobData(String digest) {
        String hex = digest.substring("sha256:".length());
        return storageDir().resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
    }

    /**
     * An account of a token-auth registry that may log in but read nothing: its tokens carry no
     * access, so the registry answers its pulls with 401 insufficient_scope (a private repository).
     */
    public static final String OUTSIDER = "outsider";
    public static final String OUTSIDER_PASSWORD = "outsider-password";

    /** The user the token server accepts, or null for an anonymous registry. */
    public String user() {
        return tokens == null ? null : tokens.user;
    }

    public String password() {
        return tokens == null ? null : tokens.password;
    }

    /** How many tokens the token server issued (0 for an anonymous registry). */
    public int tokensIssued() {
        return tokens == null ? 0 : tokens.issued.get();
    }

    /** How many token requests were refused (bad or missing credentials). */
    public int tokensRefused() {
        return tokens == null ? 0 : tokens.refused.get();
    }

    /**
     * Every request so far, from the registry's access log, oldest first. The registry logs a
     * request after its response is sent, so a client can be done before the line is written:
     * this first makes a sentinel request and waits (up to 5 s) until the log shows it, then
     * allows 100 ms for lines of requests that finished just before it.
     */
    public List<Request> requests() throws IOException, InterruptedException {
        String sentinel = "/v2/?sentinel=" + UUID.randomUUID();
        try {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + host() + sentinel)).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new IOException("registry " + host() + " is not answering", e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (parseLog().stream().noneMatch(r -> r.path.equals(sentinel))) {
            if (System.nanoTime() > deadline) throw new IOException("registry access log never showed " + sentinel);
            Thread.sleep(20);
        }
        Thread.sleep(100);
        return parseLog().stream().filter(r -> !r.path.startsWith("/v2/?sentinel=")).toList();
    }

    private List<Request> parseLog() throws IOException {
        List<Request> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("registry.log"))) {
            Matcher m = ACCESS.matcher(line);
            if (m.find()) out.add(new Request(m.group(1), m.group(2), Integer.parseInt(m.group(3))));
        }
        return out;
    }

    /** The successful {@code GET}s of blobs so far. */
    public List<Request> blobDownloads() throws IOException, InterruptedException {
        return requests().stream().filter(r -> r.method.equals("GET") && r.path.contains("/blobs/") && r.status == 200).toList();
    }

    /**
     * Copies fixture image {@code w} to {@code repoTag} ({@code repo/name:tag}) with skopeo. Pass
     * {@code "--all"} for a multi-platform index, {@code "--format", "v2s2"} for Docker media types.
     */
    public void push(OciLayoutFixture.Written w, String repoTag, String... extraSkopeoArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false"));
        if (tokens != null) cmd.addAll(List.of("--dest-creds", tokens.user + ":" + tokens.password));
        cmd.addAll(List.of(extraSkopeoArgs));
        cmd.add("oci:" + w.ref());
        cmd.add("docker://" + host() + "/" + repoTag);
        run(cmd, Duration.ofSeconds(120));
    }

    /**
     * Uploads fixture image {@code w} byte for byte over the distribution API (every blob of the
     * layout, then its manifests, then the tag). Unlike skopeo, which gzips uncompressed layers on
     * the way to a registry, this keeps {@code tar} layers and the fixture's manifest digests.
     */
    public void pushExact(OciLayoutFixture.Written w, String repoTag) throws IOException, InterruptedException {
        int colon = repoTag.lastIndexOf(':');
        String repo = repoTag.substring(0, colon);
        String tag = repoTag.substring(colon + 1);
        HttpClient http = HttpClient.newHttpClient();
        String auth = null;
        if (tokens != null) {
            HttpResponse<byte[]> t = http.send(HttpRequest.newBuilder(URI.create(tokens.realm() + "?service=" + TokenServer.SERVICE
                            + "&scope=repository:" + repo + ":pull,push"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                            (tokens.user + ":" + tokens.password).getBytes(StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            auth = "Bearer " + new ObjectMapper().readTree(t.body()).path("token").asText();
        }
        String base = "http://" + host() + "/v2/" + repo;
        Path blobs = w.layout().resolve("blobs/sha256");
        List<Path> files;
        try (Stream<Path> s = Files.list(blobs)) {
            files = s.sorted().toList();
        }
        for (Path f : files) {
            String digest = "sha256:" + f.getFileName();
            HttpResponse<String> start = send(http, auth, HttpRequest.newBuilder(URI.create(base + "/blobs/uploads/"))
                    .POST(HttpRequest.BodyPublishers.noBody()), 202);
            URI loc = URI.create(base).resolve(start.headers().firstValue("Location").orElseThrow());
            String sep = loc.getRawQuery() == null ? "?" : "&";
            send(http, auth, HttpRequest.newBuilder(URI.create(loc + sep + "digest=" + digest))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofFile(f)), 201);
        }
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode top = json.readTree(w.layout().resolve("index.json").toFile()).path("manifests").path(0);
        putManifest(http, auth, base, blobs, top.path("mediaType").asText(), top.path("digest").asText(), tag, json);
    }

    private void putManifest(HttpClient http, String auth, String base, Path blobs, String mediaType, String digest, String reference,
                             ObjectMapper json) throws IOException, InterruptedException {
        byte[] body = Files.readAllBytes(blobs.resolve(digest.substring("sha256:".length())));
        if (mediaType.equals(OciLayoutFixture.INDEX_TYPE)) {
            for (com.fasterxml.jackson.databind.JsonNode m : json.readTree(body).path("manifests")) {
                putManifest(http, auth, base, blobs, m.path("mediaType").asText(), m.path("digest").asText(), m.path("digest").asText(), json);
            }
        }
        send(http, auth, HttpRequest.newBuilder(URI.create(base + "/manifests/" + reference))
                .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)), 201);
    }

    private static HttpResponse<String> send(HttpClient http, String auth, HttpRequest.Builder b, int want)
            throws IOException, InterruptedException {
        if (auth != null) b.header("Authorization", auth);
        HttpRequest req = b.build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != want) throw new IOException(req.method() + " " + req.uri() + ": HTTP " + r.statusCode() + " " + r.body());
        return r;
    }

    @Override
    public void close() {
        try {
            stop(process);
        } finally {
            if (tokens != null) tokens.stop();
            deleteTree(dir);
        }
    }

    static String run(List<String> cmd, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) throw new IOException(String.join(" ", cmd) + ": timed out");
            String s = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + s);
            return s;
        } finally {
            if (p.isAlive()) stop(p);
        }
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    /** Issues RS256 JWTs in distribution's token format to one Basic-authenticated user. */
    private static final class TokenServer {
        static final String SERVICE = "banger-test-registry";
        static final String ISSUER = "banger-test-issuer";
        private static final ObjectMapper JSON = new ObjectMapper();

        final String user;
        final String password;
        final Path cert;
        final AtomicInteger issued = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        private final PrivateKey key;
        private final byte[] certDer;
        private HttpServer server;

        private TokenServer(String user, String password, Path cert, PrivateKey key, byte[] certDer) {
            this.user = user;
            this.password = password;
            this.cert = cert;
            this.key = key;
            this.certDer = certDer;
        }

        static TokenServer start(Path dir, String user, String password) throws IOException, InterruptedException {
            Path keyPem = dir.resolve("token.key");
            Path certPem = dir.resolve("token.crt");
            run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPem.toString(),
                    "-out", certPem.toString(), "-days", "1", "-subj", "/CN=banger-test"), Duration.ofSeconds(60));
            try {
                String pem = Files.readString(keyPem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
                PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
                X509Certificate c;
                try (var in = Files.newInputStream(certPem)) {
                    c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
                }
                TokenServer t = new TokenServer(user, password, certPem, key, c.getEncoded());
                t.server = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
                t.server.createContext("/token", t::handle);
                t.server.start();
                return t;
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException("cannot load the test token key/cert", e);
            }
        }

        String realm() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
        }

        void stop() {
            if (server != null) server.stop(0);
        }

        private void handle(HttpExchange ex) throws IOException {
            try (ex) {
                String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
                String outsider = "Basic " + Base64.getEncoder().encodeToString((OUTSIDER + ":" + OUTSIDER_PASSWORD).getBytes(StandardCharsets.UTF_8));
                String query = ex.getRequestURI().getRawQuery();
                boolean isOutsider = outsider.equals(ex.getRequestHeaders().getFirst("Authorization"));
                boolean allowed = isOutsider || expected.equals(ex.getRequestHeaders().getFirst("Authorization"));
                boolean oauth = ex.getRequestMethod().equals("POST");
                if (oauth) {
                    // Docker's OAuth2 form for identity tokens: grant_type=refresh_token; the password doubles as the token.
                    query = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                    allowed = List.of(query.split("&")).containsAll(List.of("grant_type=refresh_token",
                            "refresh_token=" + java.net.URLEncoder.encode(password, StandardCharsets.UTF_8)));
                }
                if (!allowed) {
                    refused.incrementAndGet();
                    byte[] body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}".getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Content-Type", "application/json");
                    ex.sendResponseHeaders(401, body.length);
                    ex.getResponseBody().write(body);
                    return;
                }
                List<String> repos = new ArrayList<>();
                for (String kv : query == null ? new String[0] : query.split("&")) {
                    int eq = kv.indexOf('=');
                    if (eq < 0 || !kv.substring(0, eq).equals("scope")) continue;
                    String scope = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                    for (String one : scope.split(" ")) {
                        String[] parts = one.split(":");
                        if (parts.length >= 3 && parts[0].equals("repository")) {
                            repos.add(String.join(":", List.of(parts).subList(1, parts.length - 1)));
                        }
                    }
                }
                String jwt = jwt(isOutsider ? List.of() : repos);
                issued.incrementAndGet();
                byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put(oauth ? "access_token" : "token", jwt).put("expires_in", 600));
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        }

        private String jwt(List<String> repos) throws IOException {
            ObjectNode header = JSON.createObjectNode().put("typ", "JWT").put("alg", "RS256");
            header.putArray("x5c").add(Base64.getEncoder().encodeToString(certDer));
            long now = System.currentTimeMillis() / 1000;
            ObjectNode claims = JSON.createObjectNode()
                    .put("iss", ISSUER).put("sub", user).put("aud", SERVICE)
                    .put("exp", now + 600).put("nbf", now - 60).put("iat", now)
                    .put("jti", UUID.randomUUID().toString());
            var access = claims.putArray("access");
            for (String repo : repos) {
                ObjectNode a = access.addObject().put("type", "repository").put("name", repo);
                a.putArray("actions").add("pull").add("push");
            }
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String signingInput = b64.encodeToString(JSON.writeValueAsBytes(header)) + "." + b64.encodeToString(JSON.writeValueAsBytes(claims));
            try {
                Signature s = Signature.getInstance("SHA256withRSA");
                s.initSign(key);
                s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
                return signingInput + "." + b64.encodeToString(s.sign());
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException(e);
            }
        }
    }
}
