package dev.banger.daemon.image.oci;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.image.build.TarBuilder;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import dev.banger.daemon.image.oci.OciLayoutFixture.Layer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What docker-registry's filesystem storage cannot show: a registry behind Basic auth that
 * redirects blob GETs to separate storage (as S3/GCS-backed registries do). The storage must
 * never see the registry's Authorization header, whether the HttpClient follows redirects or not.
 */
class RegistryRedirectTest {
    @TempDir
    Path tmp;
    private HttpServer registry;
    private HttpServer storage;
    private OciLayoutFixture.Written image;
    private final List<String> storageAuth = new CopyOnWriteArrayList<>();
    private final List<String> registryPaths = new CopyOnWriteArrayList<>();
    private static final String BASIC = "Basic " + Base64.getEncoder().encodeToString("u:p".getBytes(StandardCharsets.UTF_8));

    @BeforeEach
    void start() throws IOException {
        byte[] tar = new TarBuilder().file("hello", 0644, 0, 0, "redirected\n").bytes();
        image = OciLayoutFixture.write(tmp.resolve("layout"), "v1", List.of(new Layer(tar, Compression.GZIP)),
                new OciLayoutFixture.Config(null, List.of("/hello"), null, null, null));
        Path blobs = image.layout().resolve("blobs/sha256");

        storage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        storage.createContext("/blob/", ex -> {
            storageAuth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            String hex = ex.getRequestURI().getPath().substring("/blob/".length());
            reply(ex, 200, Files.readAllBytes(blobs.resolve(hex)), "application/octet-stream");
        });
        storage.start();

        registry = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        registry.createContext("/v2/", ex -> {
            String path = ex.getRequestURI().getPath();
            registryPaths.add(path);
            if (!BASIC.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"fake registry\"");
                reply(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes(), "application/json");
            } else if (path.equals("/v2/app/manifests/v1")) {
                reply(ex, 200, Files.readAllBytes(blobs.resolve(image.manifestDigest().substring(7))), OciLayoutFixture.MANIFEST_TYPE);
            } else if (path.startsWith("/v2/app/blobs/sha256:")) {
                String hex = path.substring("/v2/app/blobs/sha256:".length());
                ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + storage.getAddress().getPort() + "/blob/" + hex + "?X-Sig=abc");
                reply(ex, 307, new byte[0], null);
            } else {
                reply(ex, 404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known to registry\"}]}".getBytes(), "application/json");
            }
        });
        registry.start();
    }

    private static void reply(HttpExchange ex, int status, byte[] body, String type) throws IOException {
        try (ex) {
            if (type != null) ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) ex.getResponseBody().write(body);
        }
    }

    @AfterEach
    void stop() {
        if (registry != null) registry.stop(0);
        if (storage != null) storage.stop(0);
    }

    private String host() {
        return "127.0.0.1:" + registry.getAddress().getPort();
    }

    private DockerCredentials creds() throws IOException {
        Path config = tmp.resolve("config.json");
        Files.writeString(config, "{\"auths\":{\"" + host() + "\":{\"username\":\"u\",\"password\":\"p\"}}}");
        return DockerCredentials.load(config);
    }

    @Test
    void basicAuthAndRedirectedBlobsWithAFollowingClient() throws Exception {
        pullThrough(dev.banger.daemon.fetch.HttpClients.standard());
    }

    @Test
    void basicAuthAndRedirectedBlobsWithANonFollowingClient() throws Exception {
        pullThrough(HttpClient.newHttpClient());
    }

    private void pullThrough(HttpClient http) throws Exception {
        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        PulledImage img = new RegistryClient(http, cache, creds(), Set.of())
                .pull(ImageReference.parse(host() + "/app:v1"), ProgressSink.NONE);
        assertThat(img.manifestDigest()).isEqualTo(image.manifestDigest());
        assertThat(img.config().cmd()).containsExactly("/hello");
        assertThat(img.layers()).extracting(LayerBlob::digest).containsExactlyElementsOf(image.layerDigests());
        assertThat(storageAuth).as("config + layer fetched from storage, never with the registry's credentials")
                .containsExactly("null", "null");
    }

    @Test
    void basicChallengeWithoutCredentialsIsAClearError() {
        assertThatThrownBy(() -> new RegistryClient(dev.banger.daemon.fetch.HttpClients.standard(), new BlobCache(tmp.resolve("cache")),
                DockerCredentials.empty(), Set.of()).pull(ImageReference.parse(host() + "/app:v1"), ProgressSink.NONE))
                .isInstanceOf(IOException.class)
                .hasMessage("authentication required for " + host() + " (no credentials configured)");
    }

    @Test
    void rejectedBasicCredentialsNameTheUrlAndTheRegistryMessage() throws Exception {
        Path config = tmp.resolve("bad.json");
        Files.writeString(config, "{\"auths\":{\"" + host() + "\":{\"username\":\"u\",\"password\":\"wrong\"}}}");
        assertThatThrownBy(() -> new RegistryClient(dev.banger.daemon.fetch.HttpClients.standard(), new BlobCache(tmp.resolve("cache")),
                DockerCredentials.load(config), Set.of()).pull(ImageReference.parse(host() + "/app:v1"), ProgressSink.NONE))
                .isInstanceOf(IOException.class)
                .hasMessage("access to " + host() + "/app:v1 denied: GET http://" + host()
                        + "/v2/app/manifests/v1 returned HTTP 401 (authentication required)");
    }
}
