package dev.banger.daemon.image.catalog;

import dev.banger.daemon.fetch.TestHttpServer;
import dev.banger.daemon.fetch.TestPayloads;
import dev.banger.daemon.image.build.TarBuilder;
import dev.banger.daemon.image.build.TarToExt4;
import dev.banger.daemon.image.build.UnsafeEntryException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.banger.daemon.fetch.TestPayloads.gzip;
import static dev.banger.daemon.fetch.TestPayloads.random;
import static dev.banger.daemon.fetch.TestPayloads.sha256;
import static dev.banger.daemon.fetch.TestPayloads.zstd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What is the image puller's own: formats, ext4 output, temp file and scratch cleanup; the download itself is VerifiedDownloadTest's. */
class ImageBundlePullerTest {
    private static final String HELLO = "hello from the catalog\n";

    @TempDir
    Path tmp;

    private Path outDir;
    private Path out;
    @RegisterExtension
    final TestHttpServer server = TestHttpServer.perTest();
    private final HttpClient http = server.http();
    private TarToExt4 tarToExt4;
    private final List<String> reports = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        outDir = Files.createDirectory(tmp.resolve("staging"));
        out = outDir.resolve("rootfs.ext4");
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        tarToExt4 = new TarToExt4(scratch);
    }

    // ------------------------------------------------------------------ bundles

    private static byte[] helloTar() throws IOException {
        return new TarBuilder().dir("./", 0755, 0, 0).dir("./etc/", 0755, 0, 0).file("./etc/hello", 0644, 0, 0, HELLO).bytes();
    }

    /** A small ext4 image holding /etc/hello, made by mkfs.ext4 -d. */
    private byte[] helloExt4() throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("tree/etc"));
        Files.writeString(tree.resolve("hello"), HELLO);
        Path img = tmp.resolve("hello.ext4");
        run(List.of("mkfs.ext4", "-q", "-F", "-d", tmp.resolve("tree").toString(), img.toString(), "8M"));
        byte[] b = Files.readAllBytes(img);
        Files.delete(img);
        return b;
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + output).isZero();
        return output;
    }

    private static String debugfsCat(Path image, String path) throws Exception {
        Process p = new ProcessBuilder("debugfs", "-R", "cat " + path, image.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    private ImageCatalogEntry served(String name, String format, byte[] payload) throws Exception {
        String url = server.serve("/" + name + "." + format, payload);
        return new ImageCatalogEntry(name, "debian-6.1", format, url, sha256(payload), payload.length, "test image");
    }

    private void fetch(ImageCatalogEntry e) throws Exception {
        new ImageBundlePuller(http, tarToExt4).fetchRootfs(e, out, (stage, detail) -> reports.add(stage + ": " + detail));
    }

    /** The staging dir and scratch hold nothing: no output, no temp files. */
    private void assertNothingLeft() throws IOException {
        assertThat(out).doesNotExist();
        try (Stream<Path> s = Files.list(outDir)) {
            assertThat(s).isEmpty();
        }
        try (Stream<Path> s = Files.list(tmp.resolve("scratch"))) {
            assertThat(s).isEmpty();
        }
    }

    // ------------------------------------------------------------------ round trips

    @ParameterizedTest
    @ValueSource(strings = {"tar.zst", "tar.gz", "tar"})
    void tarBundlesBecomeExt4(String format) throws Exception {
        byte[] tar = helloTar();
        byte[] payload = switch (format) {
            case "tar.zst" -> zstd(tar);
            case "tar.gz" -> gzip(tar);
            default -> tar;
        };
        fetch(served("hello", format, payload));
        assertThat(dev.banger.daemon.fs.Ext4Magic.isExt4(out)).isTrue();
        assertThat(debugfsCat(out, "/etc/hello")).isEqualTo(HELLO);
        assertThat(reports).anyMatch(r -> r.startsWith("pull_image: downloading http://127.0.0.1:"));
        assertThat(reports).anyMatch(r -> r.matches("pull_image: downloaded [0-9.]+ MiB, sha256 ok"));
        try (Stream<Path> s = Files.list(outDir)) {
            assertThat(s).containsExactly(out);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ext4.zst", "ext4"})
    void ext4BundlesAreWrittenAsIs(String format) throws Exception {
        byte[] ext4 = helloExt4();
        byte[] payload = format.equals("ext4.zst") ? zstd(ext4) : ext4;
        fetch(served("plain", format, payload));
        assertThat(Files.readAllBytes(out)).isEqualTo(ext4);
        assertThat(debugfsCat(out, "/etc/hello")).isEqualTo(HELLO);
        run(List.of("e2fsck", "-fn", out.toString()));
        try (Stream<Path> s = Files.list(outDir)) {
            assertThat(s).containsExactly(out);
        }
    }

    @Test
    void ext4IsWrittenSparse() throws Exception {
        byte[] ext4 = helloExt4();
        fetch(served("sparse", "ext4.zst", zstd(ext4)));
        assertThat(Files.size(out)).isEqualTo(ext4.length);
        String[] blocks = run(List.of("stat", "-c", "%b %B", out.toString())).strip().split(" ");
        long allocated = Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
        assertThat(allocated).as("an 8 MiB image that is mostly zeros").isLessThan(ext4.length / 2);
    }

    // ------------------------------------------------------------------ failures leave nothing

    @ParameterizedTest
    @ValueSource(strings = {"tar.zst", "tar.gz", "ext4.zst", "ext4"})
    void sha256MismatchLeavesNothing(String format) throws Exception {
        byte[] payload = format.startsWith("tar") ? (format.equals("tar.gz") ? gzip(helloTar()) : zstd(helloTar()))
                : (format.equals("ext4") ? helloExt4() : zstd(helloExt4()));
        String url = server.serve("/wrong." + format, payload);
        String wrong = "0".repeat(64);
        ImageCatalogEntry e = new ImageCatalogEntry("wrong", "k", format, url, wrong, payload.length, "");
        assertThatThrownBy(() -> fetch(e))
                .isInstanceOf(IOException.class)
                .hasMessage("sha256 mismatch for " + url + ": expected " + wrong + ", got " + sha256(payload));
        assertNothingLeft();
    }

    @Test
    void bytesAfterTheTarEndAreFineWhenListed() throws Exception {
        // The tar reader stops at the end-of-archive blocks; the rest is only hashed (VerifiedDownload).
        byte[] appended = java.util.Arrays.copyOf(helloTar(), helloTar().length + 20_000);
        fetch(served("appended", "tar", appended));
        assertThat(debugfsCat(out, "/etc/hello")).isEqualTo(HELLO);
    }

    @Test
    void bytesAfterTheZstdFrameAreRefused() throws Exception {
        byte[] good = zstd(helloTar());
        byte[] appended = java.util.Arrays.copyOf(good, good.length + 5);
        String url = server.serve("/appended.tar.zst", appended);
        ImageCatalogEntry e = new ImageCatalogEntry("appended", "k", "tar.zst", url, sha256(good), 0, "");
        assertThatThrownBy(() -> fetch(e)).isInstanceOf(IOException.class).hasMessageContaining(url);
        assertNothingLeft();
    }

    @Test
    void escapingTarEntryIsRefusedByNameAndLeavesNothing() throws Exception {
        byte[] evil = zstd(new TarBuilder().dir("./", 0755, 0, 0).file("../escape", 0644, 0, 0, "boo").bytes());
        ImageCatalogEntry e = served("evil", "tar.zst", evil);
        assertThatThrownBy(() -> fetch(e))
                .isInstanceOf(UnsafeEntryException.class)
                .hasMessageContaining("'../escape'")
                .hasMessageContaining(e.rootfsUrl());
        assertNothingLeft();
        assertThat(tmp.resolve("escape")).doesNotExist();
        assertThat(tmp.getParent().resolve("escape")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ext4.zst", "ext4"})
    void nonExt4PayloadIsRefused(String format) throws Exception {
        byte[] notExt4 = random(64 << 10, 1);
        byte[] payload = format.equals("ext4.zst") ? zstd(notExt4) : notExt4;
        ImageCatalogEntry e = served("notext4", format, payload);
        assertThatThrownBy(() -> fetch(e))
                .isInstanceOf(IOException.class)
                .hasMessage("image bundle " + e.rootfsUrl() + " (" + format + "): payload is not an ext4 filesystem");
        assertNothingLeft();
    }

    @Test
    void tinyPayloadIsNotExt4() throws Exception {
        ImageCatalogEntry e = served("tiny", "ext4", "hi".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> fetch(e)).hasMessageEndingWith("payload is not an ext4 filesystem");
        assertNothingLeft();
    }

    @Test
    void corruptCompressionIsAClearError() throws Exception {
        byte[] garbage = "definitely not gzip".getBytes(StandardCharsets.UTF_8);
        ImageCatalogEntry e = served("garbage", "tar.gz", garbage);
        assertThatThrownBy(() -> fetch(e))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("image bundle " + e.rootfsUrl() + " (tar.gz): ");
        assertNothingLeft();
    }

    @Test
    void existingOutputIsNotOverwritten() throws Exception {
        Files.writeString(out, "keep me");
        ImageCatalogEntry e = served("hello", "tar.zst", zstd(helloTar()));
        assertThatThrownBy(() -> fetch(e)).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(out).hasContent("keep me");
    }

    // ------------------------------------------------------------------ stalls and interrupts

    @ParameterizedTest
    @ValueSource(strings = {"ext4", "tar"})
    void interruptedDownloadLeavesNothing(String format) throws Exception {
        // Incompressible and larger than the pipe's queue, so a prefix is far from the end.
        byte[] big = random(16 << 20, 7);
        byte[] payload = format.equals("ext4") ? big : new TarBuilder().file("./big", 0644, 0, 0, big).bytes();
        String url = server.stall("/stall." + format, payload, 1 << 20);
        ImageCatalogEntry e = new ImageCatalogEntry("stalled", "k", format, url, sha256(payload), payload.length, "");
        // Let the puller write what it got (temp output or TarToExt4 scratch) before interrupting.
        Throwable failure = TestPayloads.interruptMidway(server, this::hasTempFile, () -> fetch(e));
        assertThat(failure).isInstanceOf(InterruptedException.class).hasMessage("pull of image stalled interrupted");
        assertNothingLeft();
    }

    private boolean hasTempFile() {
        try (Stream<Path> a = Files.list(outDir); Stream<Path> b = Files.list(tmp.resolve("scratch"))) {
            return a.findAny().isPresent() || b.findAny().isPresent();
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
