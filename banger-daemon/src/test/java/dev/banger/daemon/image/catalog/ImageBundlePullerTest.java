package dev.banger.daemon.image.catalog;

import com.github.luben.zstd.ZstdOutputStream;
import dev.banger.daemon.image.build.TarToExt4;
import dev.banger.daemon.image.build.UnsafeEntryException;
import dev.banger.daemon.kernel.TestHttpServer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageBundlePullerTest {
    private static final String HELLO = "hello from the catalog\n";

    @TempDir
    Path tmp;

    private Path outDir;
    private Path out;
    private TestHttpServer server;
    private HttpClient http;
    private TarToExt4 tarToExt4;
    private final List<String> reports = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        outDir = Files.createDirectory(tmp.resolve("staging"));
        out = outDir.resolve("rootfs.ext4");
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        tarToExt4 = new TarToExt4(scratch);
        server = new TestHttpServer();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void tearDown() {
        server.close();
        http.close();
    }

    // ------------------------------------------------------------------ bundles

    private record Entry(String name, byte type, byte[] body, int mode) { }

    private static byte[] tar(List<Entry> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Entry e : entries) {
                TarArchiveEntry te = new TarArchiveEntry(e.name(), e.type(), true);
                te.setMode(e.mode());
                if (e.type() == TarConstants.LF_NORMAL) {
                    te.setSize(e.body().length);
                }
                tar.putArchiveEntry(te);
                if (e.type() == TarConstants.LF_NORMAL) {
                    tar.write(e.body());
                }
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] helloTar() throws IOException {
        return tar(List.of(
                new Entry("./", TarConstants.LF_DIR, null, 0755),
                new Entry("./etc/", TarConstants.LF_DIR, null, 0755),
                new Entry("./etc/hello", TarConstants.LF_NORMAL, HELLO.getBytes(StandardCharsets.UTF_8), 0644)));
    }

    private static byte[] zstd(byte[] b) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream z = new ZstdOutputStream(bytes)) {
            z.write(b);
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream z = new GZIPOutputStream(bytes)) {
            z.write(b);
        }
        return bytes.toByteArray();
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

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
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
        assertThat(ImageBundlePuller.isExt4(out)).isTrue();
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

    @Test
    void sizeZeroMeansUnknown() throws Exception {
        byte[] payload = zstd(helloTar());
        String url = server.serve("/nosize.tar.zst", payload);
        fetch(new ImageCatalogEntry("nosize", "k", "tar.zst", url, sha256(payload), 0, ""));
        assertThat(debugfsCat(out, "/etc/hello")).isEqualTo(HELLO);
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
    void trailingBytesAreHashedToo() throws Exception {
        // Bytes after the tar's end-of-archive blocks are never read by the tar reader; they still count.
        byte[] good = helloTar();
        byte[] appended = new byte[good.length + 20_000];
        System.arraycopy(good, 0, appended, 0, good.length);
        String url = server.serve("/appended.tar", appended);
        ImageCatalogEntry e = new ImageCatalogEntry("appended", "k", "tar", url, sha256(good), 0, "");
        assertThatThrownBy(() -> fetch(e)).hasMessage("sha256 mismatch for " + url + ": expected " + sha256(good)
                + ", got " + sha256(appended));
        assertNothingLeft();
        // And when the catalog lists the served bytes, the same body is fine.
        fetch(new ImageCatalogEntry("appended", "k", "tar", url, sha256(appended), appended.length, ""));
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
    void sizeMismatchLeavesNothing() throws Exception {
        byte[] payload = zstd(helloTar());
        String url = server.serve("/short.tar.zst", payload);
        ImageCatalogEntry e = new ImageCatalogEntry("short", "k", "tar.zst", url, sha256(payload), payload.length + 100, "");
        assertThatThrownBy(() -> fetch(e))
                .hasMessage("size mismatch for " + url + ": expected " + (payload.length + 100) + " bytes, got " + payload.length);
        assertNothingLeft();
        ImageCatalogEntry smaller = new ImageCatalogEntry("short", "k", "tar.zst", url, sha256(payload), 10, "");
        assertThatThrownBy(() -> fetch(smaller)).hasMessageContaining("body is larger than the 10 bytes the catalog lists");
        assertNothingLeft();
    }

    @Test
    void http404IsAClearErrorAndLeavesNothing() throws Exception {
        String url = server.status("/missing.tar.zst", 404);
        ImageCatalogEntry e = new ImageCatalogEntry("missing", "k", "tar.zst", url, "1".repeat(64), 0, "");
        assertThatThrownBy(() -> fetch(e)).isInstanceOf(IOException.class).hasMessage("GET " + url + ": HTTP 404");
        assertNothingLeft();
    }

    @Test
    void connectionRefusedIsAClearError() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/x.tar";
        ImageCatalogEntry e = new ImageCatalogEntry("refused", "k", "tar", url, "1".repeat(64), 0, "");
        assertThatThrownBy(() -> fetch(e)).isInstanceOf(IOException.class)
                .hasMessage("GET " + url + ": connection refused or unreachable");
        assertNothingLeft();
    }

    @Test
    void escapingTarEntryIsRefusedByNameAndLeavesNothing() throws Exception {
        byte[] evil = zstd(tar(List.of(
                new Entry("./", TarConstants.LF_DIR, null, 0755),
                new Entry("../escape", TarConstants.LF_NORMAL, "boo".getBytes(StandardCharsets.UTF_8), 0644))));
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
        byte[] notExt4 = new byte[64 << 10];
        new Random(1).nextBytes(notExt4);
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

    private static byte[] bigExt4Payload() {
        // Incompressible and larger than the pipe's queue, so a prefix is far from the end.
        byte[] b = new byte[16 << 20];
        new Random(7).nextBytes(b);
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ext4", "tar"})
    void interruptedDownloadReturnsPromptlyAndLeavesNothing(String format) throws Exception {
        byte[] payload = format.equals("ext4") ? bigExt4Payload()
                : tar(List.of(new Entry("./big", TarConstants.LF_NORMAL, bigExt4Payload(), 0644)));
        String url = server.stall("/stall." + format, payload, 1 << 20);
        ImageCatalogEntry e = new ImageCatalogEntry("stalled", "k", format, url, sha256(payload), payload.length, "");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                fetch(e);
            } catch (Throwable ex) {
                failure.set(ex);
            }
        });
        assertThat(server.stallSent.await(10, TimeUnit.SECONDS)).isTrue();
        // Let the puller write what it got and block on the stalled body.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!hasTempFile() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(hasTempFile()).as("temp output or scratch exists mid-download").isTrue();
        Thread.sleep(200);
        long start = System.nanoTime();
        t.interrupt();
        t.join(5000);
        assertThat(t.isAlive()).as("pull returned after interrupt").isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(failure.get()).isInstanceOf(InterruptedException.class).hasMessageContaining("stalled");
        assertNothingLeft();
    }

    private boolean hasTempFile() throws IOException {
        try (Stream<Path> s = Files.list(outDir)) {
            if (s.findAny().isPresent()) {
                return true;
            }
        }
        try (Stream<Path> s = Files.list(tmp.resolve("scratch"))) {
            return s.findAny().isPresent();
        }
    }

    @Test
    void stalledBodyTimesOut() throws Exception {
        byte[] payload = bigExt4Payload();
        String url = server.stall("/slow.ext4", payload, 64 << 10);
        ImageCatalogEntry e = new ImageCatalogEntry("slow", "k", "ext4", url, sha256(payload), payload.length, "");
        ImageBundlePuller p = new ImageBundlePuller(http, tarToExt4, Duration.ofMillis(300));
        long start = System.nanoTime();
        assertThatThrownBy(() -> p.fetchRootfs(e, out, (s, d) -> { }))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("GET " + url + ": no data received");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(Thread.currentThread().isInterrupted()).as("no stray interrupt left behind").isFalse();
        assertNothingLeft();
    }
}
