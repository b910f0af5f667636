package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.image.oci.OciLayoutFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An image is untrusted: it can neither exhaust the daemon's 256 MiB heap nor unpack without bound. */
class ImageLimitsTest {
    @TempDir
    Path tmp;
    Path scratchParent;
    Path out;

    @BeforeEach
    void dirs() throws IOException {
        scratchParent = Files.createDirectory(tmp.resolve("scratch"));
        out = Files.createDirectory(tmp.resolve("out")).resolve("root.ext4");
    }

    private LayersToExt4.Layer layer(TarBuilder tar) throws IOException {
        byte[] blob = tar.bytes();
        String digest = OciLayoutFixture.digest(blob);
        Path p = tmp.resolve(digest.substring("sha256:".length()));
        Files.write(p, blob);
        return new LayersToExt4.Layer(p, "application/vnd.oci.image.layer.v1.tar", digest);
    }

    @Test
    void anImageWithMoreEntriesThanImageMaxEntriesFailsClearlyAndLeavesNothing() throws Exception {
        TarBuilder lower = new TarBuilder();
        TarBuilder upper = new TarBuilder();
        for (int i = 0; i < 6; i++) lower.file("a" + i, 0644, 0, 0, "");
        for (int i = 0; i < 6; i++) upper.file("b" + i, 0644, 0, 0, "");
        LayersToExt4.Layer l1 = layer(lower);
        LayersToExt4.Layer l2 = layer(upper);
        assertThatThrownBy(() -> new LayersToExt4(scratchParent, new ExtractionLimits(10, 1L << 30))
                .convert(List.of(l1, l2), out, ProgressSink.NONE))
                .as("the cap counts all layers of the image together")
                .isInstanceOf(IOException.class)
                .hasMessage("layer " + l2.digest() + ": image has more than 10 entries (the limit is image_max_entries in config.toml)");
        assertThat(out).doesNotExist();
        assertThat(scratchParent).isEmptyDirectory();
        new LayersToExt4(scratchParent, new ExtractionLimits(12, 1L << 30)).convert(List.of(l1, l2), out, ProgressSink.NONE);
        assertThat(out).exists();
    }

    @Test
    void anImageWithMoreContentThanImageMaxContentFailsBeforeWritingIt() throws Exception {
        LayersToExt4.Layer l = layer(new TarBuilder().file("small", 0644, 0, 0, "x".repeat(600))
                .file("big", 0644, 0, 0, "y".repeat(600)));
        assertThatThrownBy(() -> new LayersToExt4(scratchParent, new ExtractionLimits(100, 1000))
                .convert(List.of(l), out, ProgressSink.NONE))
                .isInstanceOf(IOException.class)
                .hasMessage("layer " + l.digest() + ": image content is larger than 1000 bytes (the limit is image_max_content_gib in config.toml)");
        assertThat(out).doesNotExist();
        assertThat(scratchParent).isEmptyDirectory();
        assertThatThrownBy(() -> new TarToExt4(scratchParent, new ExtractionLimits(100, 1000))
                .convert(new TarBuilder().file("big", 0644, 0, 0, "y".repeat(1001)).stream(), out, ProgressSink.NONE))
                .as("tar builds (Debian, bundles) have the same cap")
                .hasMessageContaining("image content is larger than 1000 bytes");
    }

    /**
     * The scenario at a tenth of its scale: a layer of 100 000 empty files (owned by uid 1000,
     * so every one needs a debugfs fix) goes through the real extraction, mkfs.ext4 and debugfs in a
     * JVM with the daemon's -Xmx256m. The million files, a memory target that took 150–430 s
     * of CI, is the benchmark {@code bench/run 1 layers} (docs/benchmarks.md).
     */
    @Test
    void aLayerOfAHundredThousandEmptyFilesFlattensInTheDaemonsHeap() throws Exception {
        Path blob = tmp.resolve("layer.tar.gz");
        EmptyFilesLayer.write(blob, DIRS, 1000);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                EmptyFilesLayer.Flatten.class.getName(), blob.toString(), scratchParent.toString(), out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            assertThat(p.waitFor(15, TimeUnit.MINUTES)).as("child finished").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String log = Files.readString(tmp.resolve("child.log"));
        assertThat(p.exitValue()).as(log).isZero();
        assertThat(log).contains("entries=" + (DIRS + DIRS * 1000) + " ");   // the directories and their files
        assertThat(scratchParent).isEmptyDirectory();
    }

    private static final int DIRS = 100;
}
