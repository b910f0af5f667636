package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vm cp's host half: the tar the CLI writes for the guest, and the unpacking of the guest's tar, which must never write outside its root. */
class HostTarTest {
    private static final Instant MTIME = Instant.parse("2021-03-04T05:06:07Z");
    private final ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    private final PrintStream warn = new PrintStream(warnings, true, StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    @Test
    void aTreeRoundTripsWithModesMtimesAndSymlinks() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src/sub"));
        src = tmp.resolve("src");
        Path f = Files.writeString(src.resolve("sub/run.sh"), "echo hi\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-x---"));
        Files.setLastModifiedTime(f, FileTime.from(MTIME));
        Files.createSymbolicLink(src.resolve("link"), Path.of("sub/run.sh"));
        Files.createSymbolicLink(src.resolve("abs"), Path.of("/etc/passwd"));
        Files.setPosixFilePermissions(src.resolve("sub"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setLastModifiedTime(src.resolve("sub"), FileTime.from(MTIME));

        byte[] tar = write(src, "tree");
        assertThat(names(tar)).contains("tree/", "tree/sub/", "tree/sub/run.sh", "tree/link", "tree/abs");

        Path dest = Files.createDirectories(tmp.resolve("dest"));
        List<Path> tops = new HostTarUnpacker(dest, "renamed", warn).unpack(new ByteArrayInputStream(tar));
        assertThat(tops).containsExactly(dest.resolve("renamed"));
        Path out = dest.resolve("renamed/sub/run.sh");
        assertThat(Files.readString(out)).isEqualTo("echo hi\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rwxr-x---");
        assertThat(Files.getLastModifiedTime(out).toInstant()).isEqualTo(MTIME);
        assertThat(Files.getLastModifiedTime(dest.resolve("renamed/sub")).toInstant()).isEqualTo(MTIME);
        assertThat(Files.readSymbolicLink(dest.resolve("renamed/link"))).isEqualTo(Path.of("sub/run.sh"));
        assertThat(Files.readSymbolicLink(dest.resolve("renamed/abs"))).isEqualTo(Path.of("/etc/passwd"));
    }

    @Test
    void absoluteAndDotDotNamesAreRefused() throws Exception {
        for (String name : List.of("/etc/evil", "a/../../evil", "../evil")) {
            byte[] tar = tar(file(name, "x"));
            Path dest = Files.createDirectories(tmp.resolve("d" + Math.abs(name.hashCode())));
            assertThatThrownBy(() -> new HostTarUnpacker(dest, null, warn).unpack(new ByteArrayInputStream(tar)))
                    .as(name).isInstanceOf(HostTarUnpacker.UnsafeEntry.class);
        }
        assertThat(tmp.resolve("evil")).doesNotExist();
    }

    @Test
    void aFileIsNeverWrittenThroughASymlinkTheTarMade() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        byte[] tar = tar(symlink("t/l", outside.toString()), file("t/l/planted", "x"));
        Path dest = Files.createDirectories(tmp.resolve("dest"));
        assertThatThrownBy(() -> new HostTarUnpacker(dest, null, warn).unpack(new ByteArrayInputStream(tar)))
                .isInstanceOf(HostTarUnpacker.UnsafeEntry.class).hasMessageContaining("symlink");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void aSymlinkAlreadyAtTheDestinationIsReplacedNotFollowed() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path victim = Files.writeString(tmp.resolve("victim"), "keep");
        Path dest = Files.createDirectories(tmp.resolve("dest"));
        Files.createSymbolicLink(dest.resolve("t"), outside);
        Files.createSymbolicLink(dest.resolve("f"), victim);
        new HostTarUnpacker(dest, null, warn).unpack(new ByteArrayInputStream(tar(dir("t/"), file("t/x", "x"))));
        new HostTarUnpacker(dest, null, warn).unpack(new ByteArrayInputStream(tar(file("f", "new"))));
        assertThat(outside).isEmptyDirectory();
        assertThat(Files.readString(victim)).isEqualTo("keep");
        assertThat(Files.readString(dest.resolve("t/x"))).isEqualTo("x");
        assertThat(Files.readString(dest.resolve("f"))).isEqualTo("new");
    }

    @Test
    void aHardlinkMayOnlyPointAtAFileThisCopyWrote() throws Exception {
        Path secret = Files.writeString(tmp.resolve("secret"), "s");
        Path dest = Files.createDirectories(tmp.resolve("dest"));
        TarArchiveEntry escape = new TarArchiveEntry("t/h", TarConstants.LF_LINK);
        escape.setLinkName("../secret");
        assertThatThrownBy(() -> new HostTarUnpacker(dest, null, warn).unpack(new ByteArrayInputStream(tar(dir("t/"), escape))))
                .isInstanceOf(HostTarUnpacker.UnsafeEntry.class);
        TarArchiveEntry sneaky = new TarArchiveEntry("t/h", TarConstants.LF_LINK);
        sneaky.setLinkName("t/notwritten");
        Files.createDirectories(dest.resolve("t"));
        Files.writeString(dest.resolve("t/notwritten"), "n");
        assertThatThrownBy(() -> new HostTarUnpacker(dest, null, warn).unpack(new ByteArrayInputStream(tar(dir("t/"), sneaky))))
                .isInstanceOf(HostTarUnpacker.UnsafeEntry.class);
        assertThat(secret).hasContent("s");

        TarArchiveEntry fine = new TarArchiveEntry("u/h", TarConstants.LF_LINK);
        fine.setLinkName("u/a");
        new HostTarUnpacker(dest, null, warn).unpack(new ByteArrayInputStream(tar(dir("u/"), file("u/a", "A"), fine)));
        assertThat(dest.resolve("u/h")).hasContent("A");
    }

    private byte[] write(Path src, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new HostTarWriter(warn).write(src, name, out);
        return out.toByteArray();
    }

    private static List<String> names(byte[] tar) throws IOException {
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) names.add(e.getName());
        }
        return names;
    }

    /** An entry with its content (null for none). */
    private record Item(TarArchiveEntry entry, byte[] data) { }

    private static Item file(String name, String content) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);   // keep a leading '/' as a hostile tar would
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(data.length);
        e.setMode(0100644);
        return new Item(e, data);
    }

    private static Item dir(String name) {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(040755);
        return new Item(e, null);
    }

    private static Item symlink(String name, String target) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        e.setLinkName(target);
        return new Item(e, null);
    }

    private static byte[] tar(Object... items) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (Object o : items) {
                Item it = o instanceof Item i ? i : new Item((TarArchiveEntry) o, null);
                tar.putArchiveEntry(it.entry());
                if (it.data() != null) tar.write(it.data());
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }
}
