package dev.banger.daemon.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.ImageRunConfig;
import dev.banger.daemon.image.build.UmociComparison;
import dev.banger.daemon.image.build.UmociComparison.Entry;
import dev.banger.daemon.image.oci.DockerCredentials;
import dev.banger.daemon.image.oci.OciLayoutFixture;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import dev.banger.daemon.image.oci.RegistryClient;
import dev.banger.daemon.image.oci.TestRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.banger.daemon.image.build.UmociComparison.diff;
import static dev.banger.daemon.image.build.UmociComparison.ext4Tree;
import static dev.banger.daemon.image.build.UmociComparison.hardlinkGroups;
import static dev.banger.daemon.image.build.UmociComparison.richLayers;
import static dev.banger.daemon.image.build.UmociComparison.umociRootfs;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acceptance test for {@code banger image pull}: the rich image of {@link UmociComparison}
 * goes through a real registry and the daemon's whole pull path (token auth, index, blob cache,
 * flattening, ext4, publication), and the published root filesystem must agree entry by entry
 * with {@code umoci unpack} of the same layer tars.
 */
class OciPullVsUmociTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER = "puller";
    private static final String PASSWORD = "s3cret pa:ss";

    @TempDir
    Path tmp;

    @BeforeEach
    void needsRootAndUmoci() throws Exception {
        UmociComparison.assumeRootAndUmoci();
    }

    @Test
    void multiPlatformOciImageFromATokenAuthRegistryMatchesUmociEntryByEntry() throws Exception {
        List<OciLayoutFixture.Layer> layers = richLayers(true);
        assertThat(layers).extracting(OciLayoutFixture.Layer::compression).contains(Compression.GZIP, Compression.ZSTD);
        OciLayoutFixture.Config config = new OciLayoutFixture.Config(List.of("/bin/sh", "-c"), List.of("echo \"hi\" there"),
                List.of("PATH=/usr/bin:/bin", "GREETING=hello world"), "/home/alice", "1000:1001");
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v1", layers, config, true);

        try (TestRegistry reg = TestRegistry.startWithTokenAuth(USER, PASSWORD);
             PullHarness h = PullHarness.start(PullHarness.credentialsFor(tmp, reg.host(), USER, PASSWORD))) {
            reg.push(w, "acceptance/rich:v1", "--all");
            String ref = reg.host() + "/acceptance/rich:v1";

            // What the registry really holds: an index, arm64 listed first, and an amd64 manifest with a zstd layer.
            JsonNode index = inspectRaw(reg, ref);
            assertThat(index.path("mediaType").asText()).isEqualTo(RegistryClient.OCI_INDEX);
            assertThat(index.path("manifests").path(0).path("platform").path("architecture").asText()).isEqualTo("arm64");
            String amd64 = null;
            String arm64 = null;
            for (JsonNode m : index.path("manifests")) {
                String arch = m.path("platform").path("architecture").asText();
                if (arch.equals("amd64")) amd64 = m.path("digest").asText();
                if (arch.equals("arm64")) arm64 = m.path("digest").asText();
            }
            assertThat(amd64).isNotNull();
            List<String> layerTypes = new ArrayList<>();
            inspectRaw(reg, reg.host() + "/acceptance/rich@" + amd64).path("layers")
                    .forEach(l -> layerTypes.add(l.path("mediaType").asText()));
            assertThat(layerTypes).contains(Compression.GZIP.mediaType, Compression.ZSTD.mediaType);

            ImageRecord image = h.images.pull(ref, ProgressSink.NONE);

            assertThat(reg.tokensIssued()).as("the pull authenticated with the config.json credentials").isPositive();
            assertThat(image.name()).isEqualTo(ref);
            assertThat(image.source()).startsWith("oci:").contains(amd64).doesNotContain(arm64);
            assertThat(image.config()).isEqualTo(new ImageRunConfig(config.entrypoint(), config.cmd(), config.env(),
                    config.workingDir(), config.user()));
            assertPublished(h, image);

            Map<String, Entry> umoci = umociRootfs(layers, tmp);
            Map<String, Entry> ours = ext4Tree(Path.of(image.rootfsPath()), tmp);
            assertThat(ours).as("the amd64 root, not the arm64 one listed first").doesNotContainKey("/ARM64");
            assertSameTree(umoci, ours);
        }
    }

    @Test
    void dockerV2s2ImageMatchesUmociEntryByEntry() throws Exception {
        List<OciLayoutFixture.Layer> layers = richLayers(true).stream()
                .map(l -> new OciLayoutFixture.Layer(l.tar(), Compression.GZIP)).toList();
        OciLayoutFixture.Config config = new OciLayoutFixture.Config(null, List.of("/bin/sh"), List.of("A=1"), "/", null);
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "v2", layers, config);

        try (TestRegistry reg = TestRegistry.start(); PullHarness h = PullHarness.start()) {
            reg.push(w, "acceptance/docker:v2", "--format", "v2s2");
            String ref = reg.host() + "/acceptance/docker:v2";
            JsonNode manifest = inspectRaw(reg, ref);
            assertThat(manifest.path("mediaType").asText()).isEqualTo(RegistryClient.DOCKER_MANIFEST);
            assertThat(manifest.path("config").path("mediaType").asText()).isEqualTo(RegistryClient.DOCKER_CONFIG);
            manifest.path("layers").forEach(l -> assertThat(l.path("mediaType").asText())
                    .isEqualTo("application/vnd.docker.image.rootfs.diff.tar.gzip"));

            ImageRecord image = h.images.pull(ref, ProgressSink.NONE);

            assertThat(image.name()).isEqualTo(ref);
            assertThat(image.source()).startsWith("oci:").contains("@sha256:");
            assertThat(image.config()).isEqualTo(new ImageRunConfig(null, List.of("/bin/sh"), List.of("A=1"), "/", null));
            assertPublished(h, image);
            assertSameTree(umociRootfs(layers, tmp), ext4Tree(Path.of(image.rootfsPath()), tmp));
        }
    }

    private static void assertSameTree(Map<String, Entry> umoci, Map<String, Entry> ours) {
        assertThat(ours.keySet()).as("same paths").containsExactlyElementsOf(umoci.keySet());
        assertThat(diff(umoci, ours)).isEmpty();
        assertThat(hardlinkGroups(ours)).isEqualTo(hardlinkGroups(umoci));
        UmociComparison.assertCoversRichFixture(umoci);
    }

    /** Published means: one record, its dir under images/ holding a read-only rootfs.ext4, no staging or scratch left. */
    private static void assertPublished(PullHarness h, ImageRecord image) throws Exception {
        assertThat(h.images.list()).containsExactly(image);
        assertThat(h.images.find(image.name())).contains(image);
        Path rootfs = Path.of(image.rootfsPath());
        assertThat(rootfs).isEqualTo(h.imagesDir.resolve(image.id()).resolve("rootfs.ext4"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(rootfs))).isEqualTo("r--------");
        assertThat(image.sizeBytes()).isPositive();
        assertThat(h.imageDirEntries()).containsExactly(image.id());
        assertThat(h.cacheEntriesBesideBlobs()).isEmpty();
        assertThat(h.unverifiedBlobs()).isEmpty();
        UmociComparison.Result fsck = UmociComparison.run(List.of("e2fsck", "-fn", rootfs.toString()));
        assertThat(fsck.exit()).as("e2fsck: " + fsck.output()).isZero();
    }

    /** The registry's raw manifest or index for {@code ref}, read with skopeo (independently of banger's client). */
    private static JsonNode inspectRaw(TestRegistry reg, String ref) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "inspect", "--raw", "--tls-verify=false"));
        if (reg.user() != null) cmd.addAll(List.of("--creds", reg.user() + ":" + reg.password()));
        cmd.add("docker://" + ref);
        UmociComparison.Result r = UmociComparison.run(cmd);
        assertThat(r.exit()).as("skopeo inspect: " + r.output()).isZero();
        return JSON.readTree(r.output());
    }
}
