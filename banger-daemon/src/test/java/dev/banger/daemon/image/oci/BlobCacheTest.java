package dev.banger.daemon.image.oci;

import dev.banger.core.ProgressSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlobCacheTest {
    @TempDir
    Path tmp;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private List<Path> filesIn(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void storesUnderItsDigestAndFindsIt() throws Exception {
        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        byte[] data = random(300_000, 1);
        String digest = OciLayoutFixture.digest(data);
        assertThat(cache.find(digest)).isEmpty();
        List<String> reports = new ArrayList<>();
        Path p = cache.store(digest, new ByteArrayInputStream(data), (stage, detail) -> reports.add(stage + " " + detail));
        assertThat(p).isEqualTo(tmp.resolve("cache/sha256").resolve(digest.substring(7)));
        assertThat(Files.readAllBytes(p)).isEqualTo(data);
        assertThat(cache.find(digest)).contains(p);
        assertThat(reports).last().asString().startsWith("pull_image sha256:").endsWith("293.0 KiB");
        assertThat(filesIn(tmp.resolve("cache"))).containsExactly(p);

        Object inode = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        assertThat(cache.store(digest, new ByteArrayInputStream(data), ProgressSink.NONE)).isEqualTo(p);
        assertThat(Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey())
                .as("an already stored blob is kept, not replaced").isEqualTo(inode);
        assertThat(filesIn(tmp.resolve("cache"))).containsExactly(p);
    }

    @Test
    void digestMismatchLeavesNothing() throws Exception {
        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        byte[] data = random(100_000, 2);
        String wrong = OciLayoutFixture.digest("something else".getBytes());
        assertThatThrownBy(() -> cache.store(wrong, new ByteArrayInputStream(data), ProgressSink.NONE))
                .isInstanceOf(IOException.class)
                .hasMessage("digest mismatch for " + wrong + ": got " + OciLayoutFixture.digest(data));
        assertThat(cache.find(wrong)).isEmpty();
        assertThat(filesIn(tmp.resolve("cache"))).isEmpty();
    }

    @Test
    void failingOrInterruptedStreamLeavesNothing() throws Exception {
        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        byte[] data = random(500_000, 3);
        String digest = OciLayoutFixture.digest(data);
        InputStream failing = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n++ > 200_000) throw new IOException("connection reset");
                return data[n - 1] & 0xff;
            }
        };
        assertThatThrownBy(() -> cache.store(digest, failing, ProgressSink.NONE)).hasMessage("connection reset");
        assertThat(filesIn(tmp.resolve("cache"))).isEmpty();

        InputStream interrupting = new InputStream() {
            int n;

            @Override
            public int read() {
                if (n == 100_000) Thread.currentThread().interrupt();
                return data[n++] & 0xff;
            }
        };
        try {
            assertThatThrownBy(() -> cache.store(digest, interrupting, ProgressSink.NONE)).isInstanceOf(java.io.InterruptedIOException.class);
        } finally {
            Thread.interrupted();
        }
        assertThat(filesIn(tmp.resolve("cache"))).isEmpty();
        assertThat(cache.find(digest)).isEmpty();
    }

    @Test
    void concurrentStoresOfOneDigestAllSucceedWithOneBlob() throws Exception {
        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        byte[] data = random(2_000_000, 4);
        String digest = OciLayoutFixture.digest(data);
        int n = 8;
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<Path>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> {
                    go.await();
                    return cache.store(digest, new ByteArrayInputStream(data), ProgressSink.NONE);
                }));
            }
            go.countDown();
            for (Future<Path> f : fs) assertThat(f.get()).isEqualTo(cache.find(digest).orElseThrow());
        }
        assertThat(filesIn(tmp.resolve("cache"))).hasSize(1);
        assertThat(Files.readAllBytes(cache.find(digest).orElseThrow())).isEqualTo(data);
    }

    @Test
    void refusesAnythingButSha256() {
        BlobCache cache = new BlobCache(tmp.resolve("cache"));
        assertThatThrownBy(() -> cache.store("sha512:" + "ab".repeat(64), InputStream.nullInputStream(), ProgressSink.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only sha256");
        assertThatThrownBy(() -> cache.find("sha256:../../etc/passwd"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid digest");
        assertThatThrownBy(() -> cache.find("sha256:" + "AB".repeat(32))).isInstanceOf(IllegalArgumentException.class);
    }
}
