package dev.banger.daemon.fetch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.banger.daemon.fetch.TestPayloads.random;
import static dev.banger.daemon.fetch.TestPayloads.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerifiedDownloadTest {
    private static final String SHA_ZERO = "0".repeat(64);

    @TempDir
    Path tmp;

    @RegisterExtension
    final TestHttpServer server = TestHttpServer.perTest();
    private final HttpClient http = server.http();
    private final List<String> reports = new CopyOnWriteArrayList<>();

    private VerifiedDownload download() {
        return download(VerifiedDownload.DEFAULT_IDLE_TIMEOUT);
    }

    private VerifiedDownload download(Duration idle) {
        return new VerifiedDownload(http, "fetch", "test-fetch", idle);
    }

    private <T> T fetch(VerifiedDownload.Expected e, VerifiedDownload.BodyConsumer<T> consumer) throws Exception {
        return download().fetch(e, "t", (stage, detail) -> reports.add(stage + ": " + detail), consumer,
                ex -> new IOException("consumer: " + ex.getMessage(), ex));
    }

    private static VerifiedDownload.Expected expected(String url, byte[] body) {
        return new VerifiedDownload.Expected(url, sha256(body), body.length);
    }

    @Test
    void consumerSeesTheBodyAndItsResultIsReturned() throws Exception {
        byte[] body = random(300_000, 1);
        String url = server.serve("/b", body);
        byte[] got = fetch(expected(url, body), InputStream::readAllBytes);
        assertThat(got).isEqualTo(body);
        assertThat(reports).first().isEqualTo("fetch: downloading " + url);
        assertThat(reports).last().isEqualTo("fetch: downloaded 0.3 MiB, sha256 ok");
        assertThat(reports).allMatch(r -> r.startsWith("fetch: "));
    }

    @Test
    void sizeZeroMeansUnknown() throws Exception {
        byte[] body = random(1000, 2);
        String url = server.serve("/b", body);
        assertThat(fetch(new VerifiedDownload.Expected(url, sha256(body), 0), InputStream::readAllBytes)).isEqualTo(body);
    }

    @Test
    void progressReportsSizeDuringLargeDownload() throws Exception {
        byte[] body = random(10 << 20, 5);
        String url = server.serve("/big", body);
        fetch(expected(url, body), in -> in.transferTo(java.io.OutputStream.nullOutputStream()));
        assertThat(reports).anyMatch(r -> r.matches("fetch: downloaded [0-9.]+ of 10\\.0 MiB"));
    }

    @Test
    void bytesTheConsumerLeavesUnreadAreHashedToo() throws Exception {
        byte[] body = random(1 << 20, 3);
        String url = server.serve("/b", body);
        byte[] head = java.util.Arrays.copyOf(body, 100);
        VerifiedDownload.BodyConsumer<byte[]> first100 = in -> in.readNBytes(100);
        assertThatThrownBy(() -> fetch(new VerifiedDownload.Expected(url, sha256(head), 0), first100))
                .isInstanceOf(IOException.class)
                .hasMessage("sha256 mismatch for " + url + ": expected " + sha256(head) + ", got " + sha256(body));
        assertThat(fetch(expected(url, body), first100)).isEqualTo(head);
    }

    @Test
    void sha256Mismatch() throws Exception {
        byte[] body = random(1000, 1);
        String url = server.serve("/b", body);
        assertThatThrownBy(() -> fetch(new VerifiedDownload.Expected(url, SHA_ZERO, body.length), InputStream::readAllBytes))
                .isInstanceOf(IOException.class)
                .hasMessage("sha256 mismatch for " + url + ": expected " + SHA_ZERO + ", got " + sha256(body));
    }

    @Test
    void bodySmallerThanListedSize() throws Exception {
        byte[] body = random(1000, 1);
        String url = server.serve("/b", body);
        assertThatThrownBy(() -> fetch(new VerifiedDownload.Expected(url, sha256(body), body.length + 100), InputStream::readAllBytes))
                .isInstanceOf(IOException.class)
                .hasMessage("size mismatch for " + url + ": expected " + (body.length + 100) + " bytes, got " + body.length);
    }

    @Test
    void bodyLargerThanListedSizeIsCutOff() throws Exception {
        byte[] body = random(1 << 20, 1);
        String url = server.serve("/b", body);
        assertThatThrownBy(() -> fetch(new VerifiedDownload.Expected(url, sha256(body), 100), InputStream::readAllBytes))
                .isInstanceOf(IOException.class)
                .hasMessage("GET " + url + ": body is larger than the 100 bytes the catalog lists");
    }

    @ParameterizedTest
    @ValueSource(ints = {404, 500})
    void httpErrors(int code) throws Exception {
        String url = server.status("/gone", code);
        assertThatThrownBy(() -> fetch(new VerifiedDownload.Expected(url, SHA_ZERO, 0), InputStream::readAllBytes))
                .isInstanceOf(IOException.class)
                .hasMessage("GET " + url + ": HTTP " + code);
    }

    @Test
    void connectionRefused() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/x";
        assertThatThrownBy(() -> fetch(new VerifiedDownload.Expected(url, SHA_ZERO, 0), InputStream::readAllBytes))
                .isInstanceOf(IOException.class)
                .hasMessage("GET " + url + ": connection refused or unreachable");
    }

    @Test
    void consumerFailuresGoThroughTheCallersMapping() throws Exception {
        byte[] body = random(1000, 1);
        String url = server.serve("/b", body);
        assertThatThrownBy(() -> fetch(expected(url, body), in -> {
            throw new IOException("bad payload");
        })).isInstanceOf(IOException.class).hasMessage("consumer: bad payload");
        // Download failures seen by the consumer are not the payload's fault: they pass as they are.
        assertThatThrownBy(() -> fetch(expected(url, body), in -> {
            throw new IOException("GET " + url + ": something");
        })).isInstanceOf(IOException.class).hasMessage("GET " + url + ": something");
    }

    @Test
    void stalledBodyTimesOut() throws Exception {
        byte[] body = random(4 << 20, 4);
        String url = server.stall("/slow", body, 64 << 10);
        long start = System.nanoTime();
        assertThatThrownBy(() -> download(Duration.ofMillis(300)).fetch(expected(url, body), "t", (s, d) -> { },
                InputStream::readAllBytes, e -> e))
                .isInstanceOf(IOException.class)
                .hasMessage("GET " + url + ": no data received for 0 s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(Thread.currentThread().isInterrupted()).as("no stray interrupt left behind").isFalse();
    }

    @Test
    void interruptedDownloadReturnsPromptlyAndCleaningUpLeavesNothing() throws Exception {
        byte[] body = random(4 << 20, 4);
        String url = server.stall("/stall", body, 64 << 10);
        Path partial = tmp.resolve("partial");
        Throwable failure = TestPayloads.interruptMidway(server, () -> Files.exists(partial), () ->
                VerifiedDownload.cleaningUp(partial, "download of stalled", () -> download().fetch(expected(url, body), "t",
                        (stage, detail) -> { }, in -> {
                            try (var out = Files.newOutputStream(partial)) {
                                return in.transferTo(out);
                            }
                        }, e -> e)));
        assertThat(failure).isInstanceOf(InterruptedException.class).hasMessage("download of stalled interrupted");
        assertThat(partial).doesNotExist();
    }

    @Test
    void cleaningUpDeletesATreeAndRethrowsAsItIs() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("staging/sub"));
        Files.writeString(dir.resolve("f"), "x");
        assertThatThrownBy(() -> VerifiedDownload.cleaningUp(tmp.resolve("staging"), "w", () -> {
            throw new IOException("boom");
        })).isInstanceOf(IOException.class).hasMessage("boom");
        assertThat(tmp.resolve("staging")).doesNotExist();
        assertThat(VerifiedDownload.cleaningUp(tmp.resolve("none"), "w", () -> 42)).isEqualTo(42);
    }

    @Test
    void cleaningUpTurnsAFailureOnAnInterruptedThreadIntoAnInterruption() {
        Path f = tmp.resolve("partial");
        assertThatThrownBy(() -> VerifiedDownload.cleaningUp(f, "pull of thing x", () -> {
            Files.writeString(f, "half");
            Thread.currentThread().interrupt();
            throw new IOException("closed by interrupt");
        })).isInstanceOf(InterruptedException.class).hasMessage("pull of thing x interrupted")
                .hasCauseInstanceOf(IOException.class);
        assertThat(Thread.interrupted()).as("the interrupt is consumed by the InterruptedException").isFalse();
        assertThat(f).doesNotExist();
    }

    @Test
    void describeIsOneLine() {
        assertThat(VerifiedDownload.describe(new java.net.ConnectException())).isEqualTo("connection refused or unreachable");
        assertThat(VerifiedDownload.describe(new java.net.http.HttpTimeoutException("x"))).isEqualTo("timed out");
        assertThat(VerifiedDownload.describe(new IOException("a\r\nb "))).isEqualTo("a b");
        assertThat(VerifiedDownload.describe(new IOException(null, new RuntimeException("cause")))).isEqualTo("cause");
        assertThat(VerifiedDownload.describe(new java.io.EOFException())).isEqualTo("EOFException");
    }
}
