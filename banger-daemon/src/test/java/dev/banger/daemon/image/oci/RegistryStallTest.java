package dev.banger.daemon.image.oci;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.fetch.TestHttpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A registry that stalls or floods must not hold a pull (and with it the image's lock) forever:
 * the same idle timeout as kernel pulls, and capped token and manifest answers. The registry is
 * a real HTTP server ({@link TestHttpServer}) speaking just enough of the distribution API.
 */
class RegistryStallTest {
    private static final Duration IDLE = Duration.ofSeconds(1);

    @TempDir
    Path tmp;

    @RegisterExtension
    final TestHttpServer server = TestHttpServer.perTest();

    private RegistryClient client(BlobCache cache) {
        return new RegistryClient(server.http(), cache, DockerCredentials.empty(), Set.of(), IDLE);
    }

    private ImageReference ref(String repoTag) {
        return ImageReference.parse(server.url("").substring("http://".length()) + "/" + repoTag);
    }

    /** A one-layer OCI manifest for repo:v1 whose config is served and whose layer is left to the caller. */
    private String manifest(String repo, byte[] layer) {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{}}".getBytes(StandardCharsets.UTF_8);
        String configDigest = OciLayoutFixture.digest(config);
        server.serve("/v2/" + repo + "/blobs/" + configDigest, config);
        return """
                {"schemaVersion":2,"mediaType":"%s",
                 "config":{"mediaType":"%s","digest":"%s","size":%d},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}
                """.formatted(RegistryClient.OCI_MANIFEST, RegistryClient.OCI_CONFIG, configDigest, config.length,
                OciLayoutFixture.digest(layer), layer.length);
    }

    @Test
    void aRegistryThatStallsMidBlobFailsThePullAfterTheIdleTimeoutAndLeavesNoPartialBlob() throws Exception {
        byte[] layer = new byte[200_000];
        new java.util.Random(7).nextBytes(layer);
        server.serve("/v2/banger/stall/manifests/v1", manifest("banger/stall", layer).getBytes(StandardCharsets.UTF_8));
        String blobUrl = server.stall("/v2/banger/stall/blobs/" + OciLayoutFixture.digest(layer), layer, 50_000);
        BlobCache cache = new BlobCache(tmp.resolve("blobs"));

        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                assertThatThrownBy(() -> client(cache).pull(ref("banger/stall:v1"), ProgressSink.NONE))
                        .isInstanceOf(IOException.class)
                        .hasMessage("GET " + blobUrl + ": no data received for 1 s"));
        assertThat(Thread.currentThread().isInterrupted()).as("the caller is not left interrupted").isFalse();
        assertThat(cache.find(OciLayoutFixture.digest(layer))).isEmpty();
        try (Stream<Path> s = Files.walk(cache.dir())) {
            assertThat(s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .as("only the config blob, no partial file").allMatch(f -> f.matches("[0-9a-f]{64}")).hasSize(1);
        }
    }

    @Test
    void aRegistryThatStallsMidManifestFailsThePullAfterTheIdleTimeout() throws Exception {
        byte[] manifest = manifest("banger/slowmanifest", new byte[10]).getBytes(StandardCharsets.UTF_8);
        String url = server.stall("/v2/banger/slowmanifest/manifests/v1", manifest, 20);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                assertThatThrownBy(() -> client(new BlobCache(tmp.resolve("blobs"))).pull(ref("banger/slowmanifest:v1"), ProgressSink.NONE))
                        .isInstanceOf(IOException.class)
                        .hasMessage("manifest " + url + ": no data received for 1 s"));
    }

    @Test
    void aTokenServerThatSendsAnEndlessAnswerIsCutOffAtOneMib() throws Exception {
        String realm = server.endless("/token");
        server.challenge("/v2/banger/tok/manifests/v1", "Bearer realm=\"" + realm + "\",service=\"test\"");
        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                assertThatThrownBy(() -> client(new BlobCache(tmp.resolve("blobs"))).pull(ref("banger/tok:v1"), ProgressSink.NONE))
                        .isInstanceOf(IOException.class)
                        .hasMessage("token response from " + realm + " is larger than " + RegistryClient.MAX_TOKEN + " bytes"));
    }

    @Test
    void aRegistryThatSendsAnEndlessManifestIsCutOffAtFourMib() throws Exception {
        String url = server.endless("/v2/banger/bigmanifest/manifests/v1");
        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                assertThatThrownBy(() -> client(new BlobCache(tmp.resolve("blobs"))).pull(ref("banger/bigmanifest:v1"), ProgressSink.NONE))
                        .isInstanceOf(IOException.class)
                        .hasMessage("manifest " + url + " is larger than " + (4 * 1024 * 1024) + " bytes"));
    }
}
