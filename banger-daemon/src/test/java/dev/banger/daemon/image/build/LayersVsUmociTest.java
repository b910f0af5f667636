package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.image.build.UmociComparison.Entry;
import dev.banger.daemon.image.oci.OciLayoutFixture;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.banger.daemon.image.build.UmociComparison.diff;
import static dev.banger.daemon.image.build.UmociComparison.ext4Tree;
import static dev.banger.daemon.image.build.UmociComparison.hardlinkGroups;
import static dev.banger.daemon.image.build.UmociComparison.richLayers;
import static dev.banger.daemon.image.build.UmociComparison.umociRootfs;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acceptance test for flattening: the same multi-layer image unpacked by {@code umoci unpack}
 * (run as root, so it keeps owners and makes device nodes) and by {@link LayersToExt4} must agree
 * on every entry of the root filesystem. The image and the comparison live in {@link UmociComparison}.
 */
class LayersVsUmociTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void needsRootAndUmoci() throws Exception {
        UmociComparison.assumeRootAndUmoci();
    }

    @Test
    void flattenedImageMatchesUmociEntryByEntry() throws Exception {
        List<OciLayoutFixture.Layer> layers = richLayers(true);
        Map<String, Entry> umoci = umociRootfs(layers, tmp);
        Map<String, Entry> ours = ext4Tree(flatten(layers, "ours.ext4"), tmp);

        assertThat(ours.keySet()).as("same paths").containsExactlyElementsOf(umoci.keySet());
        assertThat(diff(umoci, ours)).isEmpty();
        assertThat(hardlinkGroups(ours)).isEqualTo(hardlinkGroups(umoci))
                .contains(Set.of("/usr/bin/passwd", "/usr/bin/passwd-hl", "/usr/bin/passwd-hl2"),
                        Set.of("/etc/hl-b", "/etc/hl-c"));
        UmociComparison.assertCoversRichFixture(umoci);
        assertThat(scratchLeft()).isEmpty();
    }

    @Test
    void comparisonCatchesAMissingWhiteout() throws Exception {
        Map<String, Entry> umoci = umociRootfs(richLayers(true), tmp);
        Map<String, Entry> broken = ext4Tree(flatten(richLayers(false), "broken.ext4"), tmp);
        assertThat(diff(umoci, broken)).containsExactly("/etc/remove-me: only in ext4");
    }

    private Path flatten(List<OciLayoutFixture.Layer> layers, String name) throws Exception {
        Path layout = tmp.resolve("our-layout-" + System.nanoTime());
        OciLayoutFixture.Written w = OciLayoutFixture.write(layout, "test", layers, OciLayoutFixture.Config.none());
        List<LayersToExt4.Layer> ls = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            String digest = w.layerDigests().get(i);
            ls.add(new LayersToExt4.Layer(layout.resolve("blobs/sha256").resolve(digest.substring(7)),
                    layers.get(i).compression().mediaType, digest));
        }
        assertThat(ls).extracting(LayersToExt4.Layer::mediaType).contains(Compression.ZSTD.mediaType);
        Files.createDirectories(tmp.resolve("scratch"));
        Path out = tmp.resolve(name);
        new LayersToExt4(tmp.resolve("scratch")).convert(ls, out, ProgressSink.NONE);
        return out;
    }

    private List<Path> scratchLeft() throws IOException {
        try (var s = Files.list(tmp.resolve("scratch"))) {
            return s.toList();
        }
    }
}
