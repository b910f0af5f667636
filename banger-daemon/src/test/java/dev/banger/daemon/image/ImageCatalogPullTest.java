package dev.banger.daemon.image;

import com.github.luben.zstd.ZstdOutputStream;
import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.image.build.TarBuilder;
import dev.banger.daemon.image.oci.DockerCredentials;
import dev.banger.daemon.fetch.TestHttpServer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** vm create --image NAME auto-pulls a bundle listed in a configured image catalog (seed 000 imagecat), once. */
class ImageCatalogPullTest {
    @Test
    void parallelResolvesOfACatalogImagePublishItOnceAndAnExplicitPullIsThenAConflict() throws Exception {
        byte[] tar = new TarBuilder().dir("etc", 0755, 0, 0).file("etc/hello", 0644, 0, 0, "from the catalog\n").bytes();
        ByteArrayOutputStream zst = new ByteArrayOutputStream();
        try (ZstdOutputStream z = new ZstdOutputStream(zst)) {
            z.write(tar);
        }
        byte[] bundle = zst.toByteArray();
        try (TestHttpServer server = new TestHttpServer()) {
            String url = server.serve("/tiny.tar.zst", bundle);
            Path catalog = Files.createTempFile("image-catalog", ".json");
            try {
                Files.writeString(catalog, """
                        {"version": 1, "images": [{"name": "tiny", "kernel_ref": "debian-cloud", "format": "tar.zst",
                          "rootfs_url": "%s", "rootfs_sha256": "%s", "size_bytes": %d, "description": "test"}]}"""
                        .formatted(url, dev.banger.daemon.fs.Sha256.of(bundle), bundle.length));
                try (PullHarness h = PullHarness.start(DockerCredentials.empty(), "image_catalogs = [\"" + catalog + "\"]\n")) {
                    assertThat(h.images.available()).extracting(a -> a.name() + "=" + a.pulled()).containsExactly("tiny=false");
                    List<Future<ImageRecord>> results = new ArrayList<>();
                    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                        for (int i = 0; i < 4; i++) results.add(pool.submit(() -> h.images.resolve("tiny", ProgressSink.NONE)));
                    }
                    String id = results.getFirst().get(30, TimeUnit.SECONDS).id();
                    for (Future<ImageRecord> f : results) assertThat(f.get().id()).isEqualTo(id);
                    ImageRecord image = h.store.imageByName("tiny").orElseThrow();
                    assertThat(image.source()).isEqualTo("catalog:" + url);
                    assertThat(image.kernelRef()).isEqualTo("debian-cloud");
                    assertThat(h.imageDirEntries()).containsExactly(id);
                    assertThat(h.images.available()).extracting(a -> a.name() + "=" + a.pulled()).containsExactly("tiny=true");
                    Process cat = new ProcessBuilder("debugfs", "-R", "cat /etc/hello", image.rootfsPath())
                            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                    assertThat(new String(cat.getInputStream().readAllBytes())).isEqualTo("from the catalog\n");
                    assertThatThrownBy(() -> h.images.pull("tiny", ProgressSink.NONE)).isInstanceOf(RpcException.class)
                            .hasMessageContaining("already pulled");
                }
            } finally {
                Files.deleteIfExists(catalog);
            }
        }
    }
}
