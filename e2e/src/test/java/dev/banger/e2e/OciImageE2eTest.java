package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.daemon.image.build.TarBuilder;
import dev.banger.daemon.image.oci.OciLayoutFixture;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import dev.banger.daemon.image.oci.OciLayoutFixture.Layer;
import dev.banger.daemon.image.oci.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code banger vm run REGISTRY/REPO:TAG} the way {@code docker run} works: a real registry
 * (Debian's docker-registry) holding a two-layer busybox image built here, pulled, flattened
 * into ext4 and booted under QEMU.
 */
class OciImageE2eTest extends BootingE2eTest {
    private static TestRegistry registry;
    private static OciLayoutFixture.Written image;

    @BeforeAll
    static void pushBusyboxImage(@TempDir Path tmp) throws Exception {
        registry = TestRegistry.start();
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        TarBuilder base = new TarBuilder().dir("bin", 0755, 0, 0).file("bin/busybox", 0755, 0, 0, busybox)
                .dir("etc", 0755, 0, 0).file("etc/motd", 0644, 0, 0, "from the lower layer\n")
                .file("etc/removed", 0644, 0, 0, "whited out\n").dir("root", 0700, 0, 0).dir("tmp", 01777, 0, 0);
        for (String tool : List.of("sh", "cat", "echo", "uname", "ls", "id", "sleep", "pwd", "env")) {
            base.symlink("bin/" + tool, "busybox", 0, 0);
        }
        byte[] upper = new TarBuilder().file("etc/motd", 0644, 0, 0, "hello from oci\n")
                .file("etc/.wh.removed", 0644, 0, 0, "").bytes();
        image = OciLayoutFixture.write(tmp.resolve("layout"), "1.0",
                List.of(new Layer(base.bytes(), Compression.GZIP), new Layer(upper, Compression.ZSTD)),
                new OciLayoutFixture.Config(List.of("/bin/sh", "-c"), List.of("echo entrypoint-ran in $(pwd) as $GREETING"),
                        List.of("GREETING=hi-from-config", "PATH=/bin"), "/etc", null));
        registry.push(image, "banger/busybox:1.0");
        registry.push(image, "banger/parallel:1.0");
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) registry.close();
    }

    private static String ref(String repoTag) {
        return registry.host() + "/" + repoTag;
    }

    @Test
    void runsACommandInAVmBootedFromAPulledOciImage() throws Exception {
        String ref = ref("banger/busybox:1.0");
        Banger.Result r = Banger.run("vm", "run", "--rm", ref, "--", "sh", "-c", "cat /etc/motd; ls /etc; uname -s");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("hello from oci").contains("Linux").doesNotContain("removed");

        JsonNode shown = Banger.run("image", "show", ref, "--json").json();
        assertThat(shown.path("source").asText()).startsWith("oci:" + ref + "@sha256:");
        assertThat(shown.path("config").path("entrypoint").toString()).isEqualTo("[\"/bin/sh\",\"-c\"]");

        // No command: the image's entrypoint + cmd, with its env and working dir, like docker run.
        Banger.Result bare = Banger.run("vm", "run", "--rm", ref);
        assertThat(bare.exit()).as(bare.stderr()).isZero();
        assertThat(bare.stdout().strip()).isEqualTo("entrypoint-ran in /etc as hi-from-config");

        Banger.ok("image", "rm", ref);
        assertThat(Banger.run("image", "show", ref).exit()).isNotZero();
    }

    @Test
    void eightParallelCreatesOfOneMissingImagePullItOnce() throws Exception {
        String ref = ref("banger/parallel:1.0");
        int manifestGetsBefore = manifestGets("banger/parallel");
        List<Future<Banger.Result>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 8; i++) {
                String name = "oci-par-" + i;
                results.add(pool.submit(() -> Banger.run("vm", "create", "--no-start", "--name", name, "--image", ref, "--json")));
            }
            for (Future<Banger.Result> f : results) {
                Banger.Result r = f.get();
                assertThat(r.exit()).as(r.stderr()).isZero();
            }
        }
        try {
            JsonNode images = Banger.run("image", "ls", "--json").json();
            long copies = 0;
            for (JsonNode i : images) if (i.path("name").asText().equals(ref)) copies++;
            assertThat(copies).isEqualTo(1);
            assertThat(manifestGets("banger/parallel") - manifestGetsBefore).as("manifest fetched once").isEqualTo(1);
        } finally {
            for (int i = 0; i < 8; i++) Banger.run("vm", "rm", "--force", "oci-par-" + i);
            Banger.run("image", "rm", ref);
        }
    }

    private static int manifestGets(String repo) throws Exception {
        return (int) registry.requests().stream()
                .filter(r -> r.method().equals("GET") && r.path().startsWith("/v2/" + repo + "/manifests/") && r.status() == 200)
                .count();
    }
}
