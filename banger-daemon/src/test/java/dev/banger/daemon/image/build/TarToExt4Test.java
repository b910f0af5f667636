package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TarToExt4Test {
    @TempDir
    Path tmp;
    Path scratchParent;
    Path outDir;

    @BeforeEach
    void dirs() throws IOException {
        scratchParent = Files.createDirectory(tmp.resolve("scratch"));
        outDir = Files.createDirectory(tmp.resolve("out"));
    }

    private static final String LONG_TARGET = "../../some/deliberately/long/target/that/does/not/fit/inline/in/the/inode";

    private static InputStream fixtureTar() throws IOException {
        return new TarBuilder()
                .dir("./", 0755, 0, 0)
                .dir("secret", 0700, 0, 0)
                .file("secret/key", 0600, 0, 0, "k")
                .dir("home/u", 0755, 1000, 1000)               // "home" itself is implicit
                .file("home/u/data.txt", 0640, 1000, 1000, "hello banger\n", 1_600_000_000L)
                .file("etc/shadowish", 0640, 0, 42, "root:*:1::::::\n")
                .dir("usr/bin", 0755, 0, 0)
                .file("usr/bin/su", 04755, 0, 0, "#!setuid\n")
                .file("usr/bin/sg", 02755, 0, 0, "#!setgid\n")
                .dir("tmp", 01777, 0, 0)
                .symlink("usr/bin/sh", "su", 0, 0)
                .symlink("usr/bin/far", LONG_TARGET, 1000, 1000)
                .hardlink("usr/bin/su2", "usr/bin/su")
                .node("run/fifo", TarConstants.LF_FIFO, 0620, 0, 5, 0, 0)
                .node("dev/null", TarConstants.LF_CHR, 0666, 0, 0, 1, 3)
                .node("dev/vda", TarConstants.LF_BLK, 0660, 0, 6, 254, 0)
                .file("with space/a b.txt", 0444, 100000, 100001, "spaced")
                .file("/abs/leading-slash", 0644, 0, 0, "abs")
                .stream();
    }

    @Test
    void everyEntryRoundTrips() throws Exception {
        Path out = outDir.resolve("root.ext4");
        List<String> progress = new ArrayList<>();
        Ext4Result result;
        try (InputStream in = fixtureTar()) {
            result = new TarToExt4(scratchParent).convert(in, out, (stage, detail) -> progress.add(stage + ": " + detail));
        }

        assertThat(result.entries()).isEqualTo(18);
        assertThat(result.sizeBytes()).isEqualTo(Files.size(out)).isGreaterThanOrEqualTo(64L << 20);
        assertThat(result.contentBytes()).isEqualTo(1 + 13 + 15 + 9 + 9 + 6 + 3);
        assertThat(progress).allMatch(l -> l.startsWith("build_ext4: "))
                .anyMatch(l -> l.contains("mkfs.ext4")).anyMatch(l -> l.contains("applying ownership"));

        Map<String, Debugfs.Stat> s = Debugfs.statAll(out, List.of("/", "/secret", "/secret/key", "/home", "/home/u",
                "/home/u/data.txt", "/etc/shadowish", "/usr/bin/su", "/usr/bin/sg", "/tmp", "/usr/bin/sh", "/usr/bin/far",
                "/usr/bin/su2", "/run/fifo", "/dev/null", "/dev/vda", "/with space/a b.txt", "/abs/leading-slash"), tmp);
        assertEntry(s.get("/"), "directory", 0755, 0, 0);
        assertEntry(s.get("/secret"), "directory", 0700, 0, 0);
        assertEntry(s.get("/secret/key"), "regular", 0600, 0, 0);
        assertEntry(s.get("/home"), "directory", 0755, 0, 0);
        assertEntry(s.get("/home/u"), "directory", 0755, 1000, 1000);
        assertEntry(s.get("/home/u/data.txt"), "regular", 0640, 1000, 1000);
        assertThat(s.get("/home/u/data.txt").size()).isEqualTo(13);
        assertThat(s.get("/home/u/data.txt").mtime()).isEqualTo(1_600_000_000L);
        assertEntry(s.get("/etc/shadowish"), "regular", 0640, 0, 42);
        assertEntry(s.get("/usr/bin/su"), "regular", 04755, 0, 0);
        assertEntry(s.get("/usr/bin/sg"), "regular", 02755, 0, 0);
        assertEntry(s.get("/tmp"), "directory", 01777, 0, 0);
        assertThat(s.get("/usr/bin/sh").type()).isEqualTo("symlink");
        assertThat(s.get("/usr/bin/sh").linkTarget()).isEqualTo("su");
        assertThat(s.get("/usr/bin/far").type()).isEqualTo("symlink");
        assertThat(s.get("/usr/bin/far").uid()).isEqualTo(1000);
        assertThat(s.get("/usr/bin/far").size()).isEqualTo(LONG_TARGET.length());
        assertEntry(s.get("/usr/bin/su2"), "regular", 04755, 0, 0);
        assertThat(s.get("/usr/bin/su").links()).isEqualTo(2);
        assertThat(s.get("/usr/bin/su2").links()).isEqualTo(2);
        assertEntry(s.get("/run/fifo"), "FIFO", 0620, 0, 5);
        assertEntry(s.get("/dev/null"), "character special", 0666, 0, 0);
        assertThat(s.get("/dev/null").devMajor()).isEqualTo(1);
        assertThat(s.get("/dev/null").devMinor()).isEqualTo(3);
        assertEntry(s.get("/dev/vda"), "block special", 0660, 0, 6);
        assertThat(s.get("/dev/vda").devMajor()).isEqualTo(254);
        assertThat(s.get("/dev/vda").devMinor()).isEqualTo(0);
        assertThat(s.get("/dev/vda").mtime()).isEqualTo(1_500_000_000L);
        assertEntry(s.get("/with space/a b.txt"), "regular", 0444, 100000, 100001);
        assertEntry(s.get("/abs/leading-slash"), "regular", 0644, 0, 0);

        assertThat(Debugfs.cat(out, "/home/u/data.txt")).isEqualTo("hello banger\n".getBytes(StandardCharsets.UTF_8));
        assertThat(Debugfs.cat(out, "/usr/bin/su2")).isEqualTo("#!setuid\n".getBytes(StandardCharsets.UTF_8));
        assertThat(Debugfs.cat(out, "/with space/a b.txt")).isEqualTo("spaced".getBytes(StandardCharsets.UTF_8));
        assertThat(Debugfs.fsck(out)).isZero();
        assertThat(scratchParent).isEmptyDirectory();
        assertThat(outDir).isDirectoryContaining(p -> p.equals(out));
        try (Stream<Path> files = Files.list(outDir)) {
            assertThat(files).containsExactly(out);
        }
    }

    private static void assertEntry(Debugfs.Stat st, String type, int mode, long uid, long gid) {
        assertThat(st).as("entry exists").isNotNull();
        assertThat(st.type()).isEqualTo(type);
        assertThat(Integer.toOctalString(st.mode())).isEqualTo(Integer.toOctalString(mode));
        assertThat(st.uid()).isEqualTo(uid);
        assertThat(st.gid()).isEqualTo(gid);
    }

    @Test
    void laterEntryReplacesEarlierOneAndKeepsHardlinkPeer() throws Exception {
        Path out = outDir.resolve("dup.ext4");
        try (InputStream in = new TarBuilder()
                .file("a", 0644, 0, 0, "old")
                .hardlink("b", "a")
                .file("a", 0600, 7, 7, "new!")
                .dir("d", 0755, 0, 0).file("d/x", 0644, 0, 0, "x")
                .symlink("d", "/etc", 0, 0)
                .stream()) {
            new TarToExt4(scratchParent).convert(in, out, ProgressSink.NONE);
        }
        assertThat(Debugfs.cat(out, "/a")).isEqualTo("new!".getBytes(StandardCharsets.UTF_8));
        assertThat(Debugfs.cat(out, "/b")).isEqualTo("old".getBytes(StandardCharsets.UTF_8));
        assertEntry(Debugfs.stat(out, "/a", tmp), "regular", 0600, 7, 7);
        assertThat(Debugfs.stat(out, "/d", tmp).type()).isEqualTo("symlink");
        assertThat(Debugfs.stat(out, "/d/x", tmp)).isNull();
        assertThat(Debugfs.fsck(out)).isZero();
    }

    static Stream<Arguments> unsafeTars() throws IOException {
        return Stream.of(
                Arguments.of("../evil", new TarBuilder().file("ok", 0644, 0, 0, "x").file("../evil", 0644, 0, 0, "x")),
                Arguments.of("/../evil", new TarBuilder().file("/../evil", 0644, 0, 0, "x")),
                Arguments.of("a/../../evil", new TarBuilder().dir("a", 0755, 0, 0).file("a/../../evil", 0644, 0, 0, "x")),
                Arguments.of("link/passwd", new TarBuilder().symlink("link", "/etc", 0, 0).file("link/passwd", 0644, 0, 0, "x")),
                Arguments.of("up/x", new TarBuilder().symlink("up", "../..", 0, 0).dir("up/x", 0755, 0, 0)),
                Arguments.of("dir/link/deep/f", new TarBuilder().dir("dir", 0755, 0, 0).symlink("dir/link", "/", 0, 0)
                        .file("dir/link/deep/f", 0644, 0, 0, "x")),
                Arguments.of("h-out", new TarBuilder().hardlink("h-out", "../outside")),
                Arguments.of("h-abs", new TarBuilder().hardlink("h-abs", "/etc/passwd")),
                Arguments.of("h-later", new TarBuilder().hardlink("h-later", "later").file("later", 0644, 0, 0, "x")),
                Arguments.of("h-dir", new TarBuilder().dir("d", 0755, 0, 0).hardlink("h-dir", "d")),
                Arguments.of("h-via-link", new TarBuilder().dir("real", 0755, 0, 0).file("real/f", 0644, 0, 0, "x")
                        .symlink("alias", "real", 0, 0).hardlink("h-via-link", "alias/f")),
                Arguments.of("new\nline", new TarBuilder().file("new\nline", 0644, 0, 0, "x")),
                Arguments.of("cr\rx", new TarBuilder().file("cr\rx", 0644, 0, 0, "x")),
                Arguments.of("tab\tx", new TarBuilder().dir("tab\tx", 0755, 0, 0)),
                Arguments.of("ctl\u0001x", new TarBuilder().symlink("ctl\u0001x", "y", 0, 0)),
                Arguments.of("del\u007fx", new TarBuilder().file("del\u007fx", 0644, 0, 0, "x")),
                Arguments.of("quo\"te", new TarBuilder().file("quo\"te", 0644, 0, 0, "x")),
                Arguments.of("back\\slash", new TarBuilder().file("back\\slash", 0644, 0, 0, "x")),
                Arguments.of("ok-link", new TarBuilder().file("q\"", 0644, 0, 0, "x").hardlink("ok-link", "q\"")));
    }

    @ParameterizedTest
    @MethodSource("unsafeTars")
    void unsafeEntriesAreRefusedAndLeaveNothing(String badName, TarBuilder tar) throws Exception {
        Path out = outDir.resolve("bad.ext4");
        String expectedName = badName.equals("ok-link") ? "q\"" : badName;
        // Directory entries carry their trailing slash in the tar name.
        try (InputStream in = tar.stream()) {
            assertThatThrownBy(() -> new TarToExt4(scratchParent).convert(in, out, ProgressSink.NONE))
                    .isInstanceOf(UnsafeEntryException.class)
                    .satisfies(e -> assertThat(((UnsafeEntryException) e).entryName()).isIn(expectedName, expectedName + "/"));
        }
        assertThat(out).doesNotExist();
        assertThat(outDir).isEmptyDirectory();
        assertThat(scratchParent).isEmptyDirectory();
    }

    @Test
    void messageNamesTheEntryWithoutRawControlCharacters() {
        UnsafeEntryException e = new UnsafeEntryException("bad\nname", "control character");
        assertThat(e.getMessage()).contains("bad\\x0aname").doesNotContain("\n");
    }

    @Test
    void truncatedTarFailsAndLeavesNothing() throws Exception {
        byte[] whole;
        try (InputStream in = new TarBuilder().file("big", 0644, 0, 0, "y".repeat(10_000)).stream()) {
            whole = in.readAllBytes();
        }
        Path out = outDir.resolve("trunc.ext4");
        try (InputStream in = new java.io.ByteArrayInputStream(whole, 0, 3000)) {
            assertThatThrownBy(() -> new TarToExt4(scratchParent).convert(in, out, ProgressSink.NONE))
                    .isInstanceOf(IOException.class);
        }
        assertThat(outDir).isEmptyDirectory();
        assertThat(scratchParent).isEmptyDirectory();
    }

    @Test
    void imageLeavesHeadroomForTheGuest() throws Exception {
        Path out = outDir.resolve("room.ext4");
        try (InputStream in = new TarBuilder().file("f", 0644, 0, 0, "z".repeat(1 << 20)).stream()) {
            new TarToExt4(scratchParent).convert(in, out, ProgressSink.NONE);
        }
        String header = Debugfs.run(List.of("dumpe2fs", "-h", out.toString()));
        long free = Long.parseLong(header.replaceAll("(?s).*\nFree blocks:\\s+(\\d+).*", "$1")) * 4096;
        assertThat(free).isGreaterThanOrEqualTo(64L << 20);
        // Sparse: the host pays for what mkfs wrote, not for the headroom.
        long allocated = Long.parseLong(Debugfs.run(List.of("stat", "-c", "%b", out.toString())).trim()) * 512;
        assertThat(allocated).isLessThan(Files.size(out) / 2);
    }
}
