package dev.banger.daemon.image.oci;

import dev.banger.core.model.ImageRunConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.image.build.TarBuilder;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import dev.banger.daemon.image.oci.OciLayoutFixture.Layer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pulls from a real registry ({@code docker-registry}) filled by skopeo from fixture layouts. */
class RegistryClientTest {
    private static final OciLayoutFixture.Config CONFIG = new OciLayoutFixture.Config(
            List.of("/bin/sh", "-c"), List.of("echo hello"), List.of("PATH=/usr/bin:/bin", "GREETING=hi there"), "/srv", "1000:1000");
    private static TestRegistry registry;
    private static final HttpClient HTTP = dev.banger.daemon.fetch.HttpClients.standard();

    @TempDir
    Path tmp;
    private String name;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = TestRegistry.start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) registry.close();
    }

    @org.junit.jupiter.api.BeforeEach
    void name(TestInfo info) {
        name = info.getTestMethod().orElseThrow().getName().toLowerCase();
    }

    /** Three layers, content unique to the test so blobs are not shared across tests in the registry. */
    private List<Layer> layers(Compression... cs) throws IOException {
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < cs.length; i++) {
            byte[] tar = new TarBuilder().dir("layer" + i, 0755, 0, 0)
                    .file("layer" + i + "/f", 0644, 0, 0, name + " layer " + i + " " + "x".repeat(5000 * (i + 1)) + "\n").bytes();
            out.add(new Layer(tar, cs[i]));
        }
        return out;
    }

    private RegistryClient client(BlobCache cache) {
        return new RegistryClient(HTTP, cache, DockerCredentials.empty(), Set.of());
    }

    private static void assertLayers(PulledImage img, OciLayoutFixture.Written w, List<String> mediaTypes) throws IOException {
        assertThat(img.layers()).extracting(LayerBlob::digest).containsExactlyElementsOf(w.layerDigests());
        assertThat(img.layers()).extracting(LayerBlob::mediaType).containsExactlyElementsOf(mediaTypes);
        for (LayerBlob l : img.layers()) {
            byte[] cached = Files.readAllBytes(l.path());
            assertThat(OciLayoutFixture.digest(cached)).isEqualTo(l.digest());
            assertThat(cached).isEqualTo(Files.readAllBytes(w.layout().resolve("blobs/sha256").resolve(l.digest().substring(7))));
            assertThat(l.size()).isEqualTo(cached.length);
        }
    }

    @Test
    void pullsSinglePlatformOciImageWithGzipZstdAndPlainLayers() throws Exception {
        List<Layer> ls = layers(Compression.GZIP, Compression.ZSTD, Compression.NONE);
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", ls, CONFIG);
        registry.pushExact(w, "banger/" + name + ":v1");

        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        PulledImage img = client(cache).pull(ImageReference.parse(registry.host() + "/banger/" + name + ":v1"),
                (stage, detail) -> progress.add(stage + ": " + detail));

        assertThat(img.manifestDigest()).isEqualTo(w.manifestDigest());
        assertThat(img.ref().canonical()).isEqualTo(registry.host() + "/banger/" + name + ":v1");
        assertLayers(img, w, ls.stream().map(l -> l.compression().mediaType).toList());
        assertThat(img.layers()).allSatisfy(l -> assertThat(l.path()).startsWith(cache.dir()));
        assertThat(img.config()).isEqualTo(new ImageRunConfig(CONFIG.entrypoint(), CONFIG.cmd(), CONFIG.env(), "/srv", "1000:1000"));
        assertThat(progress).allMatch(p -> p.startsWith("pull_image: "));
        assertThat(progress).anyMatch(p -> p.matches("pull_image: layer 2/3 sha256:[0-9a-f]{12}\u2026 [0-9.]+ (B|KiB)"));
    }

    @Test
    void emptyConfigBecomesEmptyFields() throws Exception {
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", layers(Compression.GZIP), OciLayoutFixture.Config.none());
        registry.push(w, "banger/" + name + ":v1");
        PulledImage img = client(new BlobCache(tmp.resolve("cache")))
                .pull(ImageReference.parse(registry.host() + "/banger/" + name + ":v1"), ProgressSink.NONE);
        assertThat(img.config()).isEqualTo(new ImageRunConfig(List.of(), List.of(), List.of(), "", ""));
    }

    @Test
    void pullsDockerSchema2Image() throws Exception {
        List<Layer> ls = layers(Compression.GZIP, Compression.GZIP);
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", ls, CONFIG);
        registry.push(w, "banger/" + name + ":v1", "--format", "v2s2");

        PulledImage img = client(new BlobCache(tmp.resolve("cache")))
                .pull(ImageReference.parse(registry.host() + "/banger/" + name + ":v1"), ProgressSink.NONE);
        assertThat(img.manifestDigest()).as("skopeo rewrote the manifest in Docker format").isNotEqualTo(w.manifestDigest());
        String docker = "application/vnd.docker.image.rootfs.diff.tar.gzip";
        assertLayers(img, w, List.of(docker, docker));
        assertThat(img.config().cmd()).isEqualTo(List.of("echo hello"));
        assertThat(img.config().env()).isEqualTo(CONFIG.env());
    }

    @Test
    void multiPlatformIndexPicksAmd64EvenWhenListedSecond() throws Exception {
        List<Layer> ls = layers(Compression.GZIP, Compression.ZSTD);
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", ls, CONFIG, true);
        registry.push(w, "banger/" + name + ":v1", "--all");

        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        PulledImage img = client(cache).pull(ImageReference.parse(registry.host() + "/banger/" + name + ":v1"), ProgressSink.NONE);
        assertThat(img.manifestDigest()).isEqualTo(w.manifestDigest());
        assertLayers(img, w, ls.stream().map(l -> l.compression().mediaType).toList());
        assertThat(img.config().workingDir()).isEqualTo("/srv");
        // only the amd64 image's blobs were fetched: its config and layers, nothing of arm64
        try (Stream<Path> s = Files.list(cache.dir().resolve("sha256"))) {
            assertThat(s.count()).isEqualTo(ls.size() + 1);
        }

        PulledImage byIndexDigest = client(new BlobCache(tmp.resolve("cache2")))
                .pull(ImageReference.parse(registry.host() + "/banger/" + name + "@" + w.refDigest()), ProgressSink.NONE);
        assertThat(byIndexDigest.manifestDigest()).isEqualTo(w.manifestDigest());
    }

    @Test
    void indexWithoutAmd64IsAClearError() throws Exception {
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", layers(Compression.GZIP), CONFIG, true);
        // rewrite the index to list only the arm64 manifest
        ObjectMapper json = new ObjectMapper();
        Path blobs = w.layout().resolve("blobs/sha256");
        JsonNode index = json.readTree(blobs.resolve(w.refDigest().substring(7)).toFile());
        ArrayNode ms = (ArrayNode) index.get("manifests");
        ms.remove(1);
        byte[] armOnly = json.writeValueAsBytes(index);
        String armDigest = OciLayoutFixture.digest(armOnly);
        Files.write(blobs.resolve(armDigest.substring(7)), armOnly);
        ObjectNode top = (ObjectNode) json.readTree(w.layout().resolve("index.json").toFile());
        ObjectNode d = (ObjectNode) top.get("manifests").get(0);
        d.put("digest", armDigest).put("size", armOnly.length);
        Files.write(w.layout().resolve("index.json"), json.writeValueAsBytes(top));
        registry.push(w, "banger/" + name + ":v1", "--all");

        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        assertThatThrownBy(() -> client(cache).pull(ImageReference.parse(registry.host() + "/banger/" + name + ":v1"), ProgressSink.NONE))
                .isInstanceOf(IOException.class)
                .hasMessage(registry.host() + "/banger/" + name + ":v1 has no linux/amd64 image; it has: linux/arm64");
        assertThat(cache.dir()).doesNotExist();
    }

    @Test
    void pullsByManifestDigest() throws Exception {
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", layers(Compression.ZSTD), CONFIG);
        registry.push(w, "banger/" + name + ":v1");
        ImageReference ref = ImageReference.parse(registry.host() + "/banger/" + name + "@" + w.manifestDigest());
        PulledImage img = client(new BlobCache(tmp.resolve("cache"))).pull(ref, ProgressSink.NONE);
        assertThat(img.manifestDigest()).isEqualTo(w.manifestDigest());
        assertThat(img.layers()).extracting(LayerBlob::digest).containsExactlyElementsOf(w.layerDigests());

        String other = "sha256:" + "0".repeat(64);
        assertThatThrownBy(() -> client(new BlobCache(tmp.resolve("cache2")))
                .pull(ImageReference.parse(registry.host() + "/banger/" + name + "@" + other), ProgressSink.NONE))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("image " + registry.host() + "/banger/" + name + "@" + other + " not found")
                .hasMessageContaining("HTTP 404");
    }

    @Test
    void secondPullDownloadsNoBlobs() throws Exception {
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1",
                layers(Compression.GZIP, Compression.ZSTD, Compression.NONE), CONFIG);
        String repo = "banger/" + name;
        registry.pushExact(w, repo + ":v1");
        registry.pushExact(w, repo + "-copy:v1");
        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        ImageReference ref = ImageReference.parse(registry.host() + "/" + repo + ":v1");

        PulledImage first = client(cache).pull(ref, ProgressSink.NONE);
        long downloads = blobGets(repo);
        assertThat(downloads).as("config + 3 layers").isEqualTo(4);
        List<Object> keys = new ArrayList<>();
        for (LayerBlob l : first.layers()) keys.add(Files.readAttributes(l.path(), BasicFileAttributes.class).fileKey());

        List<String> progress = new ArrayList<>();
        PulledImage second = client(cache).pull(ref, (s, d) -> progress.add(d));
        assertThat(blobGets(repo)).isEqualTo(downloads);
        assertThat(second).isEqualTo(first);
        List<Object> keys2 = new ArrayList<>();
        for (LayerBlob l : second.layers()) keys2.add(Files.readAttributes(l.path(), BasicFileAttributes.class).fileKey());
        assertThat(keys2).isEqualTo(keys);
        assertThat(progress).anyMatch(p -> p.startsWith("layer 1/3 sha256:") && p.endsWith("(cached)"));

        // blobs are shared between images: another repository with the same layers downloads nothing either
        client(cache).pull(ImageReference.parse(registry.host() + "/" + repo + "-copy:v1"), ProgressSink.NONE);
        assertThat(blobGets(repo + "-copy")).isZero();
    }

    private static long blobGets(String repo) throws IOException, InterruptedException {
        return registry.blobDownloads().stream().filter(r -> r.path().startsWith("/v2/" + repo + "/blobs/")).count();
    }

    @Test
    void unknownTagIsAClearError() throws Exception {
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", layers(Compression.GZIP), CONFIG);
        registry.push(w, "banger/" + name + ":v1");
        ImageReference ref = ImageReference.parse(registry.host() + "/banger/" + name + ":nope");
        assertThatThrownBy(() -> client(new BlobCache(tmp.resolve("cache"))).pull(ref, ProgressSink.NONE))
                .isInstanceOf(IOException.class)
                .hasMessage("image " + ref.canonical() + " not found: GET http://" + registry.host() + "/v2/banger/" + name
                        + "/manifests/nope returned HTTP 404 (manifest unknown)");
        ImageReference noRepo = ImageReference.parse(registry.host() + "/banger/" + name + "-never-pushed:v1");
        assertThatThrownBy(() -> client(new BlobCache(tmp.resolve("cache"))).pull(noRepo, ProgressSink.NONE))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("image " + noRepo.canonical() + " not found")
                .hasMessageContaining("HTTP 404");
    }

    @Test
    void corruptedBlobIsADigestMismatchAndLeavesNoPartialBlob() throws Exception {
        try (TestRegistry own = TestRegistry.start()) {
            OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1",
                    layers(Compression.GZIP, Compression.NONE), CONFIG);
            own.pushExact(w, "banger/corrupt:v1");
            String bad = w.layerDigests().get(1);
            Path data = own.blobData(bad);
            byte[] bytes = Files.readAllBytes(data);
            bytes[bytes.length / 2] ^= 0x55; // same size, different content
            Files.write(data, bytes);

            BlobCache cache = new BlobCache(tmp.resolve("cache"));
            RegistryClient c = new RegistryClient(HTTP, cache, DockerCredentials.empty(), Set.of());
            assertThatThrownBy(() -> c.pull(ImageReference.parse(own.host() + "/banger/corrupt:v1"), ProgressSink.NONE))
                    .isInstanceOf(IOException.class)
                    .hasMessage("digest mismatch for " + bad + ": got " + OciLayoutFixture.digest(bytes));
            assertThat(cache.find(bad)).isEmpty();
            assertThat(cache.find(w.layerDigests().get(0))).as("the good layer before it stays cached").isPresent();
            try (Stream<Path> s = Files.walk(cache.dir())) {
                assertThat(s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                        .as("no temp or partial files").allMatch(f -> f.matches("[0-9a-f]{64}"));
            }
        }
    }

    @Test
    void manifestNotMatchingItsDigestIsRefused() throws Exception {
        try (TestRegistry own = TestRegistry.start()) {
            OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", layers(Compression.GZIP), CONFIG);
            own.pushExact(w, "banger/badmanifest:v1");
            // still valid JSON, but no longer the bytes the tag's digest names: one hex digit of the layer digest changed
            Path data = own.blobData(w.manifestDigest());
            String manifest = Files.readString(data);
            String layerHex = w.layerDigests().get(0).substring(7);
            char last = layerHex.charAt(63);
            String forged = manifest.replace(layerHex, layerHex.substring(0, 63) + (last == '0' ? '1' : '0'));
            assertThat(forged).isNotEqualTo(manifest);
            Files.writeString(data, forged);

            BlobCache cache = new BlobCache(tmp.resolve("cache"));
            RegistryClient c = new RegistryClient(HTTP, cache, DockerCredentials.empty(), Set.of());
            String got = OciLayoutFixture.digest(forged.getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> c.pull(ImageReference.parse(own.host() + "/banger/badmanifest:v1"), ProgressSink.NONE))
                    .as("by tag: checked against Docker-Content-Digest")
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("digest mismatch for manifest banger/badmanifest@" + w.manifestDigest() + ": got " + got);
            assertThatThrownBy(() -> c.pull(ImageReference.parse(own.host() + "/banger/badmanifest@" + w.manifestDigest()), ProgressSink.NONE))
                    .as("by digest")
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("digest mismatch for manifest banger/badmanifest@" + w.manifestDigest() + ": got " + got);
            assertThat(cache.dir()).doesNotExist();
        }
    }

    @Test
    void insecureRegistriesAndLoopbackUsePlainHttp() {
        RegistryClient c = new RegistryClient(HTTP, new BlobCache(tmp), DockerCredentials.empty(), Set.of("registry.lan:5000"));
        assertThat(c.plainHttp("127.0.0.1:5000")).isTrue();
        assertThat(c.plainHttp("localhost:5000")).isTrue();
        assertThat(c.plainHttp("[::1]:5000")).isTrue();
        assertThat(c.plainHttp("registry.lan:5000")).isTrue();
        assertThat(c.plainHttp("registry.lan")).isFalse();
        assertThat(c.plainHttp("ghcr.io")).isFalse();
        assertThat(c.plainHttp("localhost.evil.com:5000")).isFalse();
    }

    @Test
    void acceptsOnlyTarLayerTypesAndRefusesForeignOnesClearly() throws Exception {
        ImageReference ref = ImageReference.parse("ghcr.io/o/a:v1");
        for (String t : RegistryClient.LAYER_TYPES) RegistryClient.checkLayerType(ref, t);
        assertThatThrownBy(() -> RegistryClient.checkLayerType(ref, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"))
                .hasMessage("ghcr.io/o/a:v1: non-distributable (foreign) layer type application/vnd.docker.image.rootfs.foreign.diff.tar.gzip is not supported");
        assertThatThrownBy(() -> RegistryClient.checkLayerType(ref, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"))
                .hasMessageContaining("non-distributable (foreign) layer type");
        assertThatThrownBy(() -> RegistryClient.checkLayerType(ref, "application/vnd.cncf.helm.chart.content.v1.tar+gzip"))
                .hasMessage("ghcr.io/o/a:v1: unsupported layer media type 'application/vnd.cncf.helm.chart.content.v1.tar+gzip'");
    }

    @Test
    void parsesChallenges() {
        var c = RegistryClient.Challenge.parse(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/alpine:pull,push\"");
        assertThat(c.scheme()).isEqualTo("bearer");
        assertThat(c.params()).containsEntry("realm", "https://auth.docker.io/token")
                .containsEntry("service", "registry.docker.io")
                .containsEntry("scope", "repository:library/alpine:pull,push");
        var b = RegistryClient.Challenge.parse("Basic realm=\"Registry Realm\"");
        assertThat(b.scheme()).isEqualTo("basic");
        assertThat(b.params()).containsEntry("realm", "Registry Realm");
    }

    // ---- token auth ----------------------------------------------------------------------

    @Test
    void tokenAuthWithCredentialsFromDockerConfig() throws Exception {
        try (TestRegistry auth = TestRegistry.startWithTokenAuth("banger", "s3cret pass")) {
            OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1",
                    layers(Compression.GZIP, Compression.ZSTD), CONFIG);
            auth.push(w, "private/app:v1");
            int tokensAfterPush = auth.tokensIssued();
            assertThat(tokensAfterPush).as("skopeo had to get tokens to push").isPositive();

            Path config = tmp.resolve("docker/config.json");
            Files.createDirectories(config.getParent());
            Files.writeString(config, "{\"auths\":{\"http://" + auth.host() + "\":{\"auth\":\""
                    + Base64.getEncoder().encodeToString("banger:s3cret pass".getBytes(StandardCharsets.UTF_8)) + "\"}}}");
            RegistryClient c = new RegistryClient(HTTP, new BlobCache(tmp.resolve("cache")), DockerCredentials.load(config), Set.of());
            PulledImage img = c.pull(ImageReference.parse(auth.host() + "/private/app:v1"), ProgressSink.NONE);
            assertThat(img.manifestDigest()).isEqualTo(w.manifestDigest());
            assertLayers(img, w, List.of(Compression.GZIP.mediaType, Compression.ZSTD.mediaType));
            assertThat(auth.tokensIssued() - tokensAfterPush).as("one token serves the whole pull").isEqualTo(1);
            assertThat(auth.blobDownloads()).hasSize(3);
        }
    }

    @Test
    void tokenAuthWithoutOrWithWrongCredentialsIsAClearError() throws Exception {
        try (TestRegistry auth = TestRegistry.startWithTokenAuth("banger", "right")) {
            OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", layers(Compression.GZIP), CONFIG);
            auth.push(w, "private/app:v1");
            ImageReference ref = ImageReference.parse(auth.host() + "/private/app:v1");
            BlobCache cache = new BlobCache(tmp.resolve("cache"));

            assertThatThrownBy(() -> new RegistryClient(HTTP, cache, DockerCredentials.load(tmp.resolve("missing.json")), Set.of())
                    .pull(ref, ProgressSink.NONE))
                    .isInstanceOf(IOException.class)
                    .hasMessage("authentication required for " + auth.host() + " (no credentials for it in " + tmp.resolve("missing.json") + ")");

            Path config = tmp.resolve("config.json");
            Files.writeString(config, "{\"auths\":{\"" + auth.host() + "\":{\"username\":\"banger\",\"password\":\"wrong\"}}}");
            assertThatThrownBy(() -> new RegistryClient(HTTP, cache, DockerCredentials.load(config), Set.of()).pull(ref, ProgressSink.NONE))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("authentication failed for " + auth.host() + ": token server http://127.0.0.1:")
                    .hasMessageEndingWith("returned HTTP 401 for user banger");
            assertThat(cache.dir()).doesNotExist();
        }
    }
}
