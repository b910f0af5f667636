package dev.banger.daemon.image.oci;

import dev.banger.core.model.ImageRunConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.Json;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.fetch.VerifiedDownload;
import dev.banger.daemon.fetch.WatchedBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Pulls linux/amd64 images over the OCI distribution API (v2): resolves a tag or digest to a
 * manifest (picking linux/amd64 from an index), then fetches the config and every layer into the
 * {@link BlobCache}, skipping blobs already there. Every byte is verified against its digest.
 *
 * <p>HTTPS always, except plain HTTP for loopback registries and the configured insecure ones.
 * Authentication follows the registry's 401 challenge: a Bearer token from the realm it names
 * (with Basic credentials from the Docker config when there are any), or Basic directly. Blob
 * redirects to storage are followed without the registry's {@code Authorization} header.
 * A missing repository or tag and a refused access are {@link RegistryRefusal}s, so the caller can
 * tell the user which it was.
 *
 * <p>A stalled registry cannot hold a pull (and the image's lock) forever: every request gets its
 * headers within 60 s, and every body (blob, manifest, token, error) is read under the kernel
 * pulls' idle timeout ({@link WatchedBody}); manifests, tokens and error bodies are size-capped.
 */
public final class RegistryClient {
    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);

    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    /** The layer media types a pull accepts; the flattener must handle each. */
    public static final Set<String> LAYER_TYPES = Set.of(
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.layer.v1.tar+zstd",
            "application/vnd.docker.image.rootfs.diff.tar.gzip");

    private static final String ACCEPT = String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST);
    private static final int MAX_MANIFEST = 4 * 1024 * 1024;
    private static final int MAX_CONFIG = 16 * 1024 * 1024;
    private static final int MAX_ERROR_BODY = 64 * 1024;
    /** A token answer is a few KiB of JSON; anything near this is not one. */
    static final int MAX_TOKEN = 1024 * 1024;
    private static final int MAX_REDIRECTS = 5;
    private static final Duration SHORT_TIMEOUT = Duration.ofSeconds(60);
    private static final String STAGE = BlobCache.STAGE;

    private final HttpClient http;
    private final BlobCache cache;
    private final DockerCredentials creds;
    private final Set<String> insecure;
    private final Duration idleTimeout;
    /** Manifests, configs, tokens and errors are read as trees: unknown fields are the norm and ignored. */
    private final ObjectMapper json = Json.MAPPER;

    public RegistryClient(HttpClient http, BlobCache cache, DockerCredentials creds, Set<String> insecureRegistries) {
        this(http, cache, creds, insecureRegistries, VerifiedDownload.DEFAULT_IDLE_TIMEOUT);
    }

    /** idleTimeout: how long any response body may deliver no bytes before the pull fails. */
    public RegistryClient(HttpClient http, BlobCache cache, DockerCredentials creds, Set<String> insecureRegistries,
                          Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
        this.http = http;
        this.cache = cache;
        this.creds = creds;
        this.insecure = Set.copyOf(insecureRegistries);
    }


    public BlobCache cache() {
        return cache;
    }

    /** Pulls {@code ref}'s linux/amd64 image into the cache. */
    public PulledImage pull(ImageReference ref, ProgressSink progress) throws IOException, InterruptedException {
        Session s = new Session(ref);
        progress.report(STAGE, "resolving " + ref.canonical());

        Manifest top = fetchManifest(s, ref.reference(), ref.digest());
        Manifest m = top;
        if (top.isIndex()) {
            String child = pickAmd64(ref, top.json);
            m = fetchManifest(s, child, child);
            if (m.isIndex()) throw new IOException(ref.canonical() + ": the linux/amd64 entry of the index is itself an index");
        }

        JsonNode cfgDesc = m.json.path("config");
        String cfgType = cfgDesc.path("mediaType").asText("");
        if (!cfgType.equals(OCI_CONFIG) && !cfgType.equals(DOCKER_CONFIG)) {
            throw new IOException(ref.canonical() + " is not a container image (config media type '" + cfgType + "')");
        }
        JsonNode layersNode = m.json.path("layers");
        List<JsonNode> layerDescs = new ArrayList<>();
        layersNode.forEach(layerDescs::add);
        for (JsonNode d : layerDescs) checkLayerType(ref, d.path("mediaType").asText(""));

        Descriptor cfg = descriptor(ref, cfgDesc);
        Path cfgPath = blob(s, cfg, progress.relabelled(STAGE, "config ", cfg.size));
        ImageRunConfig config = parseConfig(ref, cfgPath);

        List<LayerBlob> layers = new ArrayList<>();
        int n = layerDescs.size();
        for (int i = 0; i < n; i++) {
            Descriptor d = descriptor(ref, layerDescs.get(i));
            String prefix = "layer " + (i + 1) + "/" + n + " ";
            Path p = blob(s, d, progress.relabelled(STAGE, prefix, d.size));
            layers.add(new LayerBlob(p, d.mediaType, d.digest, d.size));
        }
        progress.report(STAGE, "pulled " + ref.canonical() + " (" + n + " layers, manifest " + BlobCache.shortDigest(m.digest) + ")");
        return new PulledImage(ref, m.digest, config, layers);
    }

    // ---- manifests -------------------------------------------------------------------------

    private record Manifest(String digest, String mediaType, JsonNode json) {
        boolean isIndex() {
            return mediaType.equals(OCI_INDEX) || mediaType.equals(DOCKER_LIST);
        }
    }

    private record Descriptor(String mediaType, String digest, long size) { }

    private Manifest fetchManifest(Session s, String reference, String expectDigest) throws IOException, InterruptedException {
        URI uri = s.uri("/manifests/" + reference);
        HttpResponse<InputStream> r = send(s, uri, ACCEPT);
        byte[] body;
        try (WatchedBody in = watched(r, "manifest " + uri, MAX_MANIFEST)) {
            body = in.readAll();
        }
        String actual = BlobCache.sha256(body);
        String want = expectDigest;
        if (want == null) {
            Optional<String> header = r.headers().firstValue("Docker-Content-Digest");
            if (header.isPresent() && header.get().startsWith("sha256:")) want = header.get().strip();
        }
        if (want != null && !want.equals(actual)) {
            throw new IOException("digest mismatch for manifest " + s.ref.repository() + "@" + want + ": got " + actual + " (from " + uri + ")");
        }
        JsonNode node;
        try {
            node = json.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("manifest from " + uri + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        String type = node.path("mediaType").asText("");
        if (type.isEmpty()) {
            type = r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip()).orElse("");
        }
        if (type.isEmpty() && node.has("manifests")) type = OCI_INDEX;
        if (type.isEmpty() && node.has("layers")) type = OCI_MANIFEST;
        if (!Set.of(OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST).contains(type)) {
            throw new IOException(s.ref.canonical() + ": unsupported manifest media type '" + type + "' from " + uri
                    + (type.contains("manifest.v1") ? " (Docker schema 1 images are not supported)" : ""));
        }
        if (node.path("schemaVersion").asInt() != 2) {
            throw new IOException(s.ref.canonical() + ": unsupported manifest schemaVersion " + node.path("schemaVersion") + " from " + uri);
        }
        return new Manifest(actual, type, node);
    }

    private static String pickAmd64(ImageReference ref, JsonNode index) throws IOException {
        List<String> seen = new ArrayList<>();
        for (JsonNode d : index.path("manifests")) {
            JsonNode p = d.path("platform");
            String os = p.path("os").asText("");
            String arch = p.path("architecture").asText("");
            seen.add(p.isMissingNode() ? "unknown" : os + "/" + arch + (p.has("variant") ? "/" + p.path("variant").asText() : ""));
            if (os.equals("linux") && arch.equals("amd64")) {
                String digest = d.path("digest").asText("");
                BlobCache.hex(digest); // validates; only sha256 supported
                return digest;
            }
        }
        throw new IOException(ref.canonical() + " has no linux/amd64 image; it has: "
                + (seen.isEmpty() ? "no platforms" : String.join(", ", seen)));
    }

    static void checkLayerType(ImageReference ref, String type) throws IOException {
        if (LAYER_TYPES.contains(type)) return;
        if (type.contains("nondistributable") || type.contains("foreign")) {
            throw new IOException(ref.canonical() + ": non-distributable (foreign) layer type " + type + " is not supported");
        }
        throw new IOException(ref.canonical() + ": unsupported layer media type '" + type + "'");
    }

    private static Descriptor descriptor(ImageReference ref, JsonNode d) throws IOException {
        String digest = d.path("digest").asText("");
        try {
            BlobCache.hex(digest);
        } catch (IllegalArgumentException e) {
            throw new IOException(ref.canonical() + ": " + e.getMessage(), e);
        }
        long size = d.path("size").asLong(-1);
        if (size < 0) throw new IOException(ref.canonical() + ": descriptor " + digest + " has no size");
        return new Descriptor(d.path("mediaType").asText(""), digest, size);
    }

    private ImageRunConfig parseConfig(ImageReference ref, Path cfgPath) throws IOException {
        if (Files.size(cfgPath) > MAX_CONFIG) throw new IOException(ref.canonical() + ": image config is too large");
        JsonNode root = json.readTree(Files.readAllBytes(cfgPath));
        String os = root.path("os").asText("");
        String arch = root.path("architecture").asText("");
        if ((!os.isEmpty() && !os.equals("linux")) || (!arch.isEmpty() && !arch.equals("amd64"))) {
            throw new IOException(ref.canonical() + " is a " + os + "/" + arch + " image; banger needs linux/amd64");
        }
        JsonNode c = root.path("config");
        return new ImageRunConfig(strings(c.path("Entrypoint")), strings(c.path("Cmd")), strings(c.path("Env")),
                c.path("WorkingDir").asText(""), c.path("User").asText(""));
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isArray()) n.forEach(v -> out.add(v.asText()));
        return out;
    }

    // ---- blobs -----------------------------------------------------------------------------

    private Path blob(Session s, Descriptor d, ProgressSink progress) throws IOException, InterruptedException {
        Optional<Path> cached = cache.find(d.digest);
        if (cached.isPresent()) {
            progress.report(STAGE, BlobCache.shortDigest(d.digest) + " " + BlobCache.humanBytes(d.size) + " (cached)");
            return cached.get();
        }
        URI uri = s.uri("/blobs/" + d.digest);
        HttpResponse<InputStream> r = send(s, uri, null);
        try (WatchedBody watched = watched(r, "GET " + uri, 0);
             InputStream in = new SizeCheckedStream(watched, d.size, d.digest)) {
            return cache.store(d.digest, in, progress);
        }
    }

    /** Fails as soon as a blob grows past its descriptor's size, and if it ends short of it. */
    private static final class SizeCheckedStream extends FilterInputStream {
        private final long expected;
        private final String digest;
        private long count;

        SizeCheckedStream(InputStream in, long expected, String digest) {
            super(in);
            this.expected = expected;
            this.digest = digest;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
                if (count > expected) throw new IOException("size mismatch for " + digest + ": more than the expected " + expected + " bytes");
            } else if (n < 0 && count != expected) {
                throw new IOException("size mismatch for " + digest + ": got " + count + " bytes, expected " + expected);
            }
            return n;
        }
    }

    // ---- HTTP and auth ---------------------------------------------------------------------

    /** Per-pull state: the reference and the Authorization header that worked for its registry and repository. */
    private final class Session {
        final ImageReference ref;
        final String base;
        String authorization;

        Session(ImageReference ref) {
            this.ref = ref;
            this.base = (plainHttp(ref.registry()) ? "http://" : "https://") + ref.registry() + "/v2/" + ref.repository();
        }

        URI uri(String suffix) {
            return URI.create(base + suffix);
        }
    }

    boolean plainHttp(String registry) {
        String r = registry.toLowerCase(Locale.ROOT);
        if (insecure.contains(r)) return true;
        String host = hostOf(r);
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]");
    }

    private static String hostOf(String hostPort) {
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            return close > 0 ? hostPort.substring(0, close + 1) : hostPort;
        }
        int colon = hostPort.indexOf(':');
        return colon >= 0 ? hostPort.substring(0, colon) : hostPort;
    }

    /**
     * GETs {@code uri}, answering one 401 challenge, following redirects by hand when the client
     * does not (dropping {@code Authorization} off-origin). Returns only 2xx responses.
     */
    private HttpResponse<InputStream> send(Session s, URI uri, String accept)
            throws IOException, InterruptedException {
        boolean challenged = false;
        URI current = uri;
        for (int hop = 0; ; ) {
            // The request timeout covers the headers only; bodies are watched for idleness when read.
            HttpRequest.Builder b = HttpRequest.newBuilder(current).GET().timeout(SHORT_TIMEOUT);
            if (accept != null) b.header("Accept", accept);
            boolean sameOrigin = sameOrigin(current, uri);
            if (sameOrigin && s.authorization != null) b.header("Authorization", s.authorization);
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = r.statusCode();
            if (status / 100 == 2) return r;
            if (status == 401 && sameOrigin && !challenged) {
                String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
                r.body().close();
                challenged = true;
                s.authorization = authorize(s, challenge, current);
                continue;
            }
            if (status / 100 == 3 && r.headers().firstValue("Location").isPresent() && hop++ < MAX_REDIRECTS) {
                r.body().close();
                current = current.resolve(r.headers().firstValue("Location").get());
                continue;
            }
            throw httpError(s, current, r);
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
    }

    private IOException httpError(Session s, URI uri, HttpResponse<InputStream> r) throws IOException {
        String message;
        try (WatchedBody in = watched(r, "error body of GET " + uri, 0)) {
            message = registryMessage(in.readNBytes(MAX_ERROR_BODY));
        } catch (IOException e) {
            message = ""; // the status says enough
        }
        int status = r.statusCode();
        String what = "GET " + uri + " returned HTTP " + status + (message.isEmpty() ? "" : " (" + message + ")");
        if (status == 404 && uri.getPath().contains("/manifests/")) {
            return new RegistryRefusal(RegistryRefusal.Reason.NOT_FOUND, s.ref.registry(), "image " + s.ref.canonical() + " not found: " + what);
        }
        if (status == 401 || status == 403) {
            return new RegistryRefusal(RegistryRefusal.Reason.DENIED, s.ref.registry(), "access to " + s.ref.canonical() + " denied: " + what);
        }
        return new IOException(what);
    }

    private String registryMessage(byte[] body) {
        try {
            JsonNode e = json.readTree(body).path("errors").path(0);
            String code = e.path("code").asText("");
            String msg = e.path("message").asText("");
            return msg.isEmpty() ? code : msg;
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private String authorize(Session s, String challenge, URI uri) throws IOException, InterruptedException {
        String registry = s.ref.registry();
        // A broken docker config or helper only matters when credentials are needed: a token
        // server that serves anonymous pulls is still tried without them.
        Optional<DockerCredentials.Credential> cred;
        IOException lookupFailed = null;
        try {
            cred = creds.forRegistry(registry);
        } catch (IOException e) {
            cred = Optional.empty();
            lookupFailed = e;
        }
        Challenge c = Challenge.parse(challenge);
        if (c.scheme.equals("basic")) {
            if (lookupFailed != null) throw lookupFailed;
            if (cred.isPresent() && cred.get().hasIdentityToken()) {
                throw new RegistryRefusal(RegistryRefusal.Reason.DENIED, registry,
                        "registry " + registry + " asks for Basic auth, but " + creds.source() + " holds an identity token for it");
            }
            return cred.map(RegistryClient::basic).orElseThrow(() -> noCredentials(registry));
        }
        if (!c.scheme.equals("bearer")) {
            throw new IOException("GET " + uri + " returned HTTP 401 with an unsupported challenge '" + challenge + "'");
        }
        String realm = c.params.get("realm");
        if (realm == null || realm.isEmpty()) throw new IOException("registry " + registry + " sent a Bearer challenge without a realm");
        URI realmUri = URI.create(realm);
        if (!"https".equalsIgnoreCase(realmUri.getScheme())) {
            String host = realmUri.getHost() == null ? "" : realmUri.getHost();
            boolean loopback = host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]") || host.equals("::1");
            if (!loopback && !plainHttp(registry)) {
                throw new IOException("registry " + registry + " names a token realm over plain HTTP (" + realm + "); refusing");
            }
        }
        StringBuilder q = new StringBuilder();
        String service = c.params.get("service");
        if (service != null) q.append("service=").append(URLEncoder.encode(service, StandardCharsets.UTF_8)).append('&');
        q.append("scope=").append(URLEncoder.encode("repository:" + s.ref.repository() + ":pull", StandardCharsets.UTF_8));
        URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + q);
        HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).GET().timeout(SHORT_TIMEOUT);
        cred.filter(cr -> !cr.hasIdentityToken()).ifPresent(cr -> b.header("Authorization", basic(cr)));
        if (cred.isPresent() && cred.get().hasIdentityToken()) refreshTokenRequest(b, realm, service, s.ref.repository(), cred.get());
        HttpResponse<InputStream> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        byte[] tokenBody;
        try (WatchedBody in = watched(resp, "token response from " + realm, MAX_TOKEN)) {
            tokenBody = in.readAll();
        }
        TokenAnswer r = new TokenAnswer(resp.statusCode(), tokenBody);
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            if (lookupFailed != null) throw lookupFailed;
            if (cred.isEmpty()) throw noCredentials(registry);
            throw new RegistryRefusal(RegistryRefusal.Reason.DENIED, registry, "authentication failed for " + registry + ": token server " + realm + " returned HTTP "
                    + r.statusCode() + (cred.get().hasIdentityToken() ? " for the identity token" : " for user " + cred.get().username()));
        }
        if (r.statusCode() / 100 != 2) {
            String msg = registryMessage(r.body());
            throw new IOException("GET " + realm + " (token) returned HTTP " + r.statusCode() + (msg.isEmpty() ? "" : " (" + msg + ")"));
        }
        JsonNode t;
        try {
            t = json.readTree(r.body());
        } catch (IOException e) {
            throw new IOException("token server " + realm + " returned invalid JSON", e);
        }
        String token = t.path("token").asText("");
        if (token.isEmpty()) token = t.path("access_token").asText("");
        if (token.isEmpty()) throw new IOException("token server " + realm + " returned no token");
        log.debug("got a pull token for {}/{}", registry, s.ref.repository());
        return "Bearer " + token;
    }

    private RegistryRefusal noCredentials(String registry) {
        return new RegistryRefusal(RegistryRefusal.Reason.DENIED, registry, "authentication required for " + registry
                + creds.file().map(f -> " (no credentials for it in " + f + ")").orElse(" (no credentials configured)"));
    }

    /**
     * An identity token is an OAuth2 refresh token: Docker POSTs it to the realm
     * ({@code grant_type=refresh_token}) instead of a Basic-authenticated GET.
     */
    private static void refreshTokenRequest(HttpRequest.Builder b, String realm, String service, String repository,
                                            DockerCredentials.Credential cred) {
        StringBuilder form = new StringBuilder("grant_type=refresh_token&client_id=banger");
        form.append("&refresh_token=").append(URLEncoder.encode(cred.identityToken(), StandardCharsets.UTF_8));
        if (service != null) form.append("&service=").append(URLEncoder.encode(service, StandardCharsets.UTF_8));
        form.append("&scope=").append(URLEncoder.encode("repository:" + repository + ":pull", StandardCharsets.UTF_8));
        b.uri(URI.create(realm)).POST(HttpRequest.BodyPublishers.ofString(form.toString()))
                .setHeader("Content-Type", "application/x-www-form-urlencoded");
    }

    private record TokenAnswer(int statusCode, byte[] body) { }

    private WatchedBody watched(HttpResponse<InputStream> r, String what, long maxBytes) {
        return new WatchedBody(r.body(), what, maxBytes, idleTimeout, "registry-body");
    }

    private static String basic(DockerCredentials.Credential c) {
        return "Basic " + Base64.getEncoder().encodeToString((c.username() + ":" + c.password()).getBytes(StandardCharsets.UTF_8));
    }

    /** A parsed {@code WWW-Authenticate} header: scheme (lower case) and its {@code key="value"} parameters. */
    record Challenge(String scheme, Map<String, String> params) {
        static Challenge parse(String header) {
            String h = header.strip();
            int sp = h.indexOf(' ');
            String scheme = (sp < 0 ? h : h.substring(0, sp)).toLowerCase(Locale.ROOT);
            Map<String, String> params = new LinkedHashMap<>();
            int i = sp < 0 ? h.length() : sp + 1;
            while (i < h.length()) {
                while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == ',')) i++;
                int eq = h.indexOf('=', i);
                if (eq < 0) break;
                String key = h.substring(i, eq).strip().toLowerCase(Locale.ROOT);
                i = eq + 1;
                StringBuilder v = new StringBuilder();
                if (i < h.length() && h.charAt(i) == '"') {
                    i++;
                    while (i < h.length() && h.charAt(i) != '"') {
                        if (h.charAt(i) == '\\' && i + 1 < h.length()) i++;
                        v.append(h.charAt(i++));
                    }
                    i++;
                } else {
                    while (i < h.length() && h.charAt(i) != ',') v.append(h.charAt(i++));
                }
                params.put(key, v.toString().strip());
            }
            return new Challenge(scheme, params);
        }
    }
}
