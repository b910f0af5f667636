package dev.banger.daemon.image.oci;

import dev.banger.daemon.image.build.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The fixture is only worth something if the reference tools accept what it writes. */
class OciLayoutFixtureTest {
    @TempDir
    Path tmp;

    @Test
    void umociUnpacksAFixtureLayoutWithPlainAndGzipLayers() throws Exception {
        byte[] lower = new TarBuilder().dir("etc", 0755, 0, 0).file("etc/a", 0644, 0, 0, "lower\n").bytes();
        byte[] upper = new TarBuilder().file("etc/b", 0600, 1000, 1000, "upper\n").file("etc/.wh.a", 0644, 0, 0, "").bytes();
        OciLayoutFixture.Written w = OciLayoutFixture.write(tmp.resolve("layout"), "t1",
                List.of(new OciLayoutFixture.Layer(lower, OciLayoutFixture.Compression.GZIP),
                        new OciLayoutFixture.Layer(upper, OciLayoutFixture.Compression.NONE)),
                OciLayoutFixture.Config.none());
        Path bundle = tmp.resolve("bundle");
        Process p = new ProcessBuilder("umoci", "unpack", "--image", w.ref(), bundle.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(Files.readString(bundle.resolve("rootfs/etc/b"))).isEqualTo("upper\n");
        assertThat(bundle.resolve("rootfs/etc/a")).doesNotExist();
    }
}
