package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.image.oci.OciLayoutFixture;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LayersToExt4Test {
    @TempDir
    Path tmp;
    Path scratchParent;
    Path outDir;
    Path blobs;

    @BeforeEach
    void dirs() throws IOException {
        scratchParent = Files.createDirectory(tmp.resolve("scratch"));
        outDir = Files.createDirectory(tmp.resolve("out"));
        blobs = Files.createDirectory(tmp.resolve("blobs"));
    }

    private LayersToExt4.Layer layer(TarBuilder tar, Compression c) throws IOException {
        return layer(OciLayoutFixture.compress(tar.bytes(), c), c.mediaType);
    }

    private LayersToExt4.Layer layer(TarBuilder tar) throws IOException {
        return layer(tar, Compression.GZIP);
    }

    private LayersToExt4.Layer layer(byte[] blob, String mediaType) throws IOException {
        String digest = OciLayoutFixture.digest(blob);
        Path p = blobs.resolve(digest.substring("sha256:".length()));
        Files.write(p, blob);
        return new LayersToExt4.Layer(p, mediaType, digest);
    }

    private Path convert(LayersToExt4.Layer... layers) throws IOException {
        Path out = outDir.resolve("root.ext4");
        new LayersToExt4(scratchParent).convert(List.of(layers), out, ProgressSink.NONE);
        assertThat(scratchParent).isEmptyDirectory();
        return out;
    }

    private Map<String, Debugfs.Stat> stat(Path image, String... paths) throws Exception {
        return Debugfs.statAll(image, List.of(paths), tmp);
    }

    private static String cat(Path image, String path) throws Exception {
        return new String(Debugfs.cat(image, path), StandardCharsets.UTF_8);
    }

    /** Every name in the image, recursively, as "/a/b"; lost+found is mkfs's, not the image's. */
    private static List<String> names(Path image) throws Exception {
        List<String> all = new ArrayList<>();
        List<String> level = List.of("/");
        while (!level.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (String dir : level) {
                String out = Debugfs.run(List.of("debugfs", "-R", "ls -p \"" + dir + "\"", image.toString()));
                for (String line : out.lines().toList()) {
                    String[] f = line.split("/", -1);
                    if (f.length < 7 || !f[0].isEmpty() || f[5].equals(".") || f[5].equals("..")) {
                        continue;
                    }
                    String path = (dir.equals("/") ? "" : dir) + "/" + f[5];
                    if (path.equals("/lost+found")) {
                        continue;
                    }
                    all.add(path);
                    if ((Integer.parseInt(f[2], 8) & 0170000) == 0040000) {
                        next.add(path);
                    }
                }
            }
            level = next;
        }
        return all;
    }

    @Test
    void whiteoutRemovesAFileAndAWholeDirectoryFromLowerLayers() throws Exception {
        Path out = convert(
                layer(new TarBuilder()
                        .dir("etc", 0755, 0, 0).file("etc/gone", 0644, 0, 0, "g").file("etc/keep", 0644, 0, 0, "k")
                        .dir("var/cache", 0755, 0, 0).dir("var/cache/apt", 0755, 0, 0)
                        .file("var/cache/apt/pkg", 0644, 0, 0, "p").symlink("var/cache/l", "apt", 0, 0)
                        .node("var/cache/null", org.apache.commons.compress.archivers.tar.TarConstants.LF_CHR, 0666, 0, 0, 1, 3)),
                layer(new TarBuilder()
                        .file("etc/.wh.gone", 0644, 0, 0, "")
                        .file("var/.wh.cache", 0644, 0, 0, "")
                        .file(".wh.never-existed", 0644, 0, 0, "")
                        .file("nodir/.wh.x", 0644, 0, 0, "")
                        .file("etc/.wh..wh.plnk", 0644, 0, 0, "")));
        assertThat(names(out)).containsExactlyInAnyOrder("/etc", "/etc/keep", "/var");
        assertThat(cat(out, "/etc/keep")).isEqualTo("k");
        assertThat(Debugfs.fsck(out)).isZero();
    }

    @ParameterizedTest(name = "opaque marker first: {0}")
    @ValueSource(booleans = {true, false})
    void opaqueDirectoryClearsLowerChildrenButKeepsItsOwnLayers(boolean markerFirst) throws Exception {
        TarBuilder upper = new TarBuilder().dir("d", 0750, 7, 8);
        if (markerFirst) {
            upper.file("d/.wh..wh..opq", 0644, 0, 0, "");
        }
        upper.file("d/new", 0644, 0, 0, "new").file("d/sub/new2", 0644, 0, 0, "new2").file("d/old1", 0600, 0, 0, "again");
        if (!markerFirst) {
            upper.file("d/.wh..wh..opq", 0644, 0, 0, "");
        }
        Path out = convert(
                layer(new TarBuilder().dir("d", 0755, 0, 0).file("d/old1", 0644, 0, 0, "old1")
                        .file("d/old2", 0644, 0, 0, "old2").dir("d/sub", 0755, 0, 0).file("d/sub/old3", 0644, 0, 0, "o3")
                        .dir("d/deep/er", 0755, 0, 0).file("other", 0644, 0, 0, "other")),
                layer(upper, Compression.ZSTD));
        assertThat(names(out)).containsExactlyInAnyOrder("/d", "/d/new", "/d/sub", "/d/sub/new2", "/d/old1", "/other");
        assertThat(cat(out, "/d/old1")).isEqualTo("again");
        Debugfs.Stat d = stat(out, "/d").get("/d");
        assertThat(d.mode()).isEqualTo(0750);
        assertThat(d.uid()).isEqualTo(7);
        assertThat(Debugfs.fsck(out)).isZero();
    }

    @Test
    void opaqueMarkerInALayerOfItsOwnEmptiesTheDirectory() throws Exception {
        Path out = convert(
                layer(new TarBuilder().dir("d", 0755, 0, 0).file("d/a", 0644, 0, 0, "a").dir("d/b", 0755, 0, 0)),
                layer(new TarBuilder().file("d/.wh..wh..opq", 0644, 0, 0, ""), Compression.NONE));
        assertThat(names(out)).containsExactly("/d");
    }

    @Test
    void rootDirectoryTakesTheLayersMetadata() throws Exception {
        // mkfs.ext4 -d copies nothing of the source directory onto the root inode; debugfs must.
        Path out = convert(layer(new TarBuilder().dir("./", 0700, 1000, 1001).file("f", 0644, 0, 0, "f")),
                layer(new TarBuilder().dir(".", 0750, 1000, 1002)));
        Debugfs.Stat root = stat(out, "/").get("/");
        assertThat(root.mode()).isEqualTo(0750);
        assertThat(root.uid()).isEqualTo(1000);
        assertThat(root.gid()).isEqualTo(1002);
        assertThat(root.mtime()).isEqualTo(TarBuilder.DEFAULT_MTIME);
    }

    @Test
    void laterLayerReplacesAFileWithADirectoryAndADirectoryWithAFile() throws Exception {
        Path out = convert(
                layer(new TarBuilder().file("x", 0644, 0, 0, "x-file").dir("y", 0755, 0, 0)
                        .file("y/child", 0644, 0, 0, "c").dir("y/grand", 0755, 0, 0).symlink("z", "x", 0, 0)),
                layer(new TarBuilder().dir("x", 0700, 5, 5).file("x/inner", 0644, 0, 0, "in")
                        .file("y", 0600, 3, 3, "y-file").dir("z", 0755, 0, 0).file("z/f", 0644, 0, 0, "zf")));
        assertThat(names(out)).containsExactlyInAnyOrder("/x", "/x/inner", "/y", "/z", "/z/f");
        Map<String, Debugfs.Stat> s = stat(out, "/x", "/y", "/z");
        assertThat(s.get("/x").type()).isEqualTo("directory");
        assertThat(s.get("/x").mode()).isEqualTo(0700);
        assertThat(s.get("/y").type()).isEqualTo("regular");
        assertThat(s.get("/y").uid()).isEqualTo(3);
        assertThat(s.get("/z").type()).isEqualTo("directory");
        assertThat(cat(out, "/y")).isEqualTo("y-file");
        assertThat(Debugfs.fsck(out)).isZero();
    }

    @Test
    void hardlinksSurviveAWhiteoutOfTheirTarget() throws Exception {
        Path out = convert(
                layer(new TarBuilder().file("a", 04750, 9, 9, "shared content").hardlink("b", "a").hardlink("c", "a")),
                layer(new TarBuilder().file(".wh.a", 0644, 0, 0, "").hardlink("d", "b")),
                layer(new TarBuilder().file(".wh.b", 0644, 0, 0, "").hardlink("e", "c")));
        assertThat(names(out)).containsExactlyInAnyOrder("/c", "/d", "/e");
        Map<String, Debugfs.Stat> s = stat(out, "/c", "/d", "/e");
        for (String p : List.of("/c", "/d", "/e")) {
            assertThat(s.get(p).type()).isEqualTo("regular");
            assertThat(s.get(p).mode()).isEqualTo(04750);
            assertThat(s.get(p).uid()).isEqualTo(9);
            assertThat(s.get(p).links()).isEqualTo(3);
            assertThat(cat(out, p)).isEqualTo("shared content");
        }
        assertThat(Debugfs.fsck(out)).isZero();
    }

    @Test
    void reportsEntriesAndContentOfTheFlattenedTree() throws Exception {
        Path out = outDir.resolve("r.ext4");
        List<String> progress = new ArrayList<>();
        Ext4Result r = new LayersToExt4(scratchParent).convert(List.of(
                layer(new TarBuilder().file("big", 0644, 0, 0, "x".repeat(1000)).file("small", 0644, 0, 0, "s")),
                layer(new TarBuilder().file(".wh.big", 0644, 0, 0, "").hardlink("small2", "small"))),
                out, (stage, detail) -> progress.add(stage + ": " + detail));
        assertThat(r.entries()).isEqualTo(4);
        assertThat(r.contentBytes()).isEqualTo(1);
        assertThat(r.sizeBytes()).isEqualTo(Files.size(out));
        assertThat(progress).anyMatch(l -> l.contains("layer 2/2 sha256:"));
    }

    @Test
    void theExtractionCountsTheLayersBytesForABar() throws Exception {
        LayersToExt4.Layer a = layer(new TarBuilder().file("a", 0644, 0, 0, "x".repeat(5000)));
        LayersToExt4.Layer b = layer(new TarBuilder().file("b", 0644, 0, 0, "y".repeat(3000)));
        long total = Files.size(a.blob()) + Files.size(b.blob());
        List<long[]> counts = new ArrayList<>();
        new LayersToExt4(scratchParent).convert(List.of(a, b), outDir.resolve("b.ext4"), new ProgressSink() {
            @Override
            public void report(String stage, String detail) { }

            @Override
            public void report(String stage, String detail, long done, long all) {
                assertThat(stage).isEqualTo("build_ext4");
                counts.add(new long[] {done, all});
            }
        });
        // Each layer starts where the ones before it ended; the last report is the whole of them.
        assertThat(counts).extracting(c -> c[1]).containsOnly(total);
        assertThat(counts).extracting(c -> c[0]).startsWith(0L, Files.size(a.blob())).endsWith(total).isSorted();
    }

    enum Kind { NONE, GZIP, ZSTD, DOCKER_GZIP }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyCompressionReadsTheSame(Kind kind) throws Exception {
        byte[] tar = new TarBuilder().dir("etc", 0755, 0, 0).file("etc/hostname", 0644, 0, 0, "banger\n").bytes();
        LayersToExt4.Layer l = switch (kind) {
            case NONE -> layer(tar, Compression.NONE.mediaType);
            case GZIP -> layer(OciLayoutFixture.compress(tar, Compression.GZIP), Compression.GZIP.mediaType);
            case ZSTD -> layer(OciLayoutFixture.compress(tar, Compression.ZSTD), Compression.ZSTD.mediaType);
            case DOCKER_GZIP -> layer(OciLayoutFixture.compress(tar, Compression.GZIP),
                    "application/vnd.docker.image.rootfs.diff.tar.gzip");
        };
        Path out = convert(l);
        assertThat(cat(out, "/etc/hostname")).isEqualTo("banger\n");
    }

    static Stream<Arguments> mismatches() {
        return Stream.of(
                Arguments.of(Compression.GZIP, Compression.ZSTD.mediaType, "says zstd but the blob starts like gzip"),
                Arguments.of(Compression.ZSTD, Compression.GZIP.mediaType, "says gzip but the blob starts like zstd"),
                Arguments.of(Compression.NONE, Compression.GZIP.mediaType, "says gzip but the blob starts like an uncompressed tar"),
                Arguments.of(Compression.GZIP, Compression.NONE.mediaType, "says an uncompressed tar but the blob starts like gzip"),
                Arguments.of(Compression.ZSTD, "application/vnd.docker.image.rootfs.diff.tar", "starts like zstd"),
                Arguments.of(Compression.GZIP, "application/vnd.oci.image.layer.v1.tar+bzip2", "unsupported layer media type"),
                Arguments.of(Compression.GZIP, "application/octet-stream", "unsupported layer media type"));
    }

    @ParameterizedTest
    @MethodSource("mismatches")
    void mediaTypeMustMatchTheBlob(Compression actual, String declared, String message) throws Exception {
        LayersToExt4.Layer good = layer(new TarBuilder().file("ok", 0644, 0, 0, "ok"));
        LayersToExt4.Layer bad = layer(OciLayoutFixture.compress(new TarBuilder().file("f", 0644, 0, 0, "f").bytes(), actual), declared);
        Path out = outDir.resolve("bad.ext4");
        assertThatThrownBy(() -> new LayersToExt4(scratchParent).convert(List.of(good, bad), out, ProgressSink.NONE))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(message)
                .hasMessageContaining(bad.digest());
        assertThat(outDir).isEmptyDirectory();
        assertThat(scratchParent).isEmptyDirectory();
    }

    @Test
    void truncatedCompressedLayerFailsAndLeavesNothing() throws Exception {
        byte[] gz = OciLayoutFixture.compress(new TarBuilder().file("f", 0644, 0, 0, "y".repeat(100_000)).bytes(), Compression.ZSTD);
        LayersToExt4.Layer l = layer(java.util.Arrays.copyOf(gz, gz.length / 2), Compression.ZSTD.mediaType);
        assertThatThrownBy(() -> new LayersToExt4(scratchParent).convert(List.of(l), outDir.resolve("t.ext4"), ProgressSink.NONE))
                .isInstanceOf(IOException.class).hasMessageContaining(l.digest());
        assertThat(outDir).isEmptyDirectory();
        assertThat(scratchParent).isEmptyDirectory();
    }

    /** A lower layer that is fine, then the layer under test; the second layer's entry must be refused. */
    static Stream<Arguments> maliciousLayers() throws IOException {
        return Stream.of(
                Arguments.of("../../etc/passwd", new TarBuilder().file("../../etc/passwd", 0644, 0, 0, "root::0:0::/:/bin/sh")),
                Arguments.of("/../etc/passwd", new TarBuilder().file("/../etc/passwd", 0644, 0, 0, "x")),
                Arguments.of("/../../etc/.wh.passwd", new TarBuilder().file("/../../etc/.wh.passwd", 0644, 0, 0, "")),
                Arguments.of("a/x", new TarBuilder().symlink("a", "/etc", 0, 0).file("a/x", 0644, 0, 0, "x")),
                Arguments.of("lower-link/x", new TarBuilder().file("lower-link/x", 0644, 0, 0, "x")),
                Arguments.of("lower-link/.wh.passwd", new TarBuilder().file("lower-link/.wh.passwd", 0644, 0, 0, "")),
                Arguments.of("lower-link/.wh..wh..opq", new TarBuilder().file("lower-link/.wh..wh..opq", 0644, 0, 0, "")),
                Arguments.of(".wh...", new TarBuilder().file(".wh...", 0644, 0, 0, "")),
                Arguments.of("etc/.wh...", new TarBuilder().file("etc/.wh...", 0644, 0, 0, "")),
                Arguments.of("etc/.wh..", new TarBuilder().file("etc/.wh..", 0644, 0, 0, "")),
                Arguments.of("etc/.wh.", new TarBuilder().file("etc/.wh.", 0644, 0, 0, "")),
                Arguments.of(".wh.d/x", new TarBuilder().file(".wh.d/x", 0644, 0, 0, "x")),
                Arguments.of("h", new TarBuilder().hardlink("h", "../outside")),
                Arguments.of("bad\"name", new TarBuilder().file("bad\"name", 0644, 0, 0, "x")),
                Arguments.of("new\nline", new TarBuilder().file("new\nline", 0644, 0, 0, "x")),
                Arguments.of("etc/.wh.back\\slash", new TarBuilder().file("etc/.wh.back\\slash", 0644, 0, 0, "")),
                Arguments.of("back\\slash", new TarBuilder().file("back\\slash", 0644, 0, 0, "x")));
    }

    @ParameterizedTest
    @MethodSource("maliciousLayers")
    void maliciousLayersAreRefusedNamingEntryAndLayerAndLeaveNothing(String entry, TarBuilder tar) throws Exception {
        LayersToExt4.Layer lower = layer(new TarBuilder().dir("etc", 0755, 0, 0).file("etc/passwd", 0644, 0, 0, "root")
                .symlink("lower-link", "/etc", 0, 0));
        LayersToExt4.Layer evil = layer(tar, Compression.ZSTD);
        Path out = outDir.resolve("evil.ext4");
        assertThatThrownBy(() -> new LayersToExt4(scratchParent).convert(List.of(lower, evil), out, ProgressSink.NONE))
                .isInstanceOf(UnsafeEntryException.class)
                .hasMessageContaining(evil.digest())
                .satisfies(e -> assertThat(((UnsafeEntryException) e).entryName()).isEqualTo(entry));
        assertThat(out).doesNotExist();
        assertThat(outDir).isEmptyDirectory();
        assertThat(scratchParent).isEmptyDirectory();
    }

    @Test
    void leadingSlashStaysInsideTheImageAsInTarToExt4() throws Exception {
        Path out = convert(layer(new TarBuilder().file("/etc/banger-abs", 0644, 0, 0, "inside")));
        assertThat(cat(out, "/etc/banger-abs")).isEqualTo("inside");
        assertThat(Path.of("/etc/banger-abs")).doesNotExist();
    }

    private static final String CAP_NET_RAW = "\u0001\u0000\u0000\u0002\u0000\u0020\u0000\u0000" + "\u0000".repeat(12);

    private static String eaList(Path image, String path) throws Exception {
        return Debugfs.run(List.of("debugfs", "-R", "ea_list \"" + path + "\"", image.toString()));
    }

    @Test
    void paxXattrsReachTheImage() throws Exception {
        Path out = outDir.resolve("x.ext4");
        List<String> progress = new ArrayList<>();
        Ext4Result r = new LayersToExt4(scratchParent).convert(List.of(
                layer(new TarBuilder()
                        .pax("SCHILY.xattr.security.capability", CAP_NET_RAW)
                        .pax("SCHILY.xattr.user.note", "hello world")
                        .pax("SCHILY.xattr.trusted.t", "t")
                        .pax("SCHILY.xattr.security.selinux", "system_u:object_r:bin_t:s0")
                        .file("ping", 0755, 0, 0, "ping")
                        .hardlink("ping2", "ping")
                        .pax("SCHILY.xattr.user.dir", "d")
                        .dir("d", 0755, 0, 0)
                        .pax("SCHILY.xattr.user.gone", "g")
                        .file("replaced", 0644, 0, 0, "old")),
                layer(new TarBuilder().file(".wh.ping", 0644, 0, 0, "").file("replaced", 0644, 0, 0, "new"), Compression.ZSTD)),
                out, (stage, detail) -> progress.add(detail));
        String ping2 = eaList(out, "/ping2");
        assertThat(ping2).contains("security.capability (20) = 01 00 00 02 00 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00")
                .contains("user.note (11) = \"hello world\"").contains("trusted.t (1) = \"t\"")
                .doesNotContain("selinux");
        assertThat(eaList(out, "/d")).contains("user.dir (1) = \"d\"");
        assertThat(eaList(out, "/replaced")).doesNotContain("user.gone");
        assertThat(progress).anyMatch(l -> l.contains("4 xattrs"));
        assertThat(r.entries()).isEqualTo(6);
        assertThat(Debugfs.fsck(out)).isZero();
    }

    @Test
    void xattrValueThatIsNotUtf8IsLeftOutAndReported() throws Exception {
        byte[] rec = "28 SCHILY.xattr.user.bin=\u00ff\u00fe\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(rec).hasSize(28);
        Path out = outDir.resolve("bin.ext4");
        List<String> progress = new ArrayList<>();
        new LayersToExt4(scratchParent).convert(List.of(layer(new TarBuilder().rawPax(rec).file("f", 0644, 0, 0, "f"))),
                out, (stage, detail) -> progress.add(detail));
        assertThat(eaList(out, "/f")).doesNotContain("user.bin");
        assertThat(progress).anyMatch(l -> l.contains("xattr user.bin of f left out"));
    }

    @Test
    void hostileXattrNameIsRefused() throws Exception {
        LayersToExt4.Layer l = layer(new TarBuilder().pax("SCHILY.xattr.user.a\"b", "v").file("f", 0644, 0, 0, "f"));
        assertThatThrownBy(() -> new LayersToExt4(scratchParent).convert(List.of(l), outDir.resolve("h.ext4"), ProgressSink.NONE))
                .isInstanceOf(UnsafeEntryException.class).hasMessageContaining("xattr name").hasMessageContaining(l.digest());
        assertThat(outDir).isEmptyDirectory();
        assertThat(scratchParent).isEmptyDirectory();
    }
}
