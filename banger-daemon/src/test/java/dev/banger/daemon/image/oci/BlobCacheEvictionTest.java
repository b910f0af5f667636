package dev.banger.daemon.image.oci;

import dev.banger.core.ProgressSink;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class BlobCacheEvictionTest {
    @TempDir
    Path tmp;

    private static String put(BlobCache cache, byte[] content, long ageSeconds) throws Exception {
        String digest = BlobCache.sha256(content);
        Path p = cache.store(digest, new ByteArrayInputStream(content), ProgressSink.NONE);
        Files.setLastModifiedTime(p, FileTime.from(System.currentTimeMillis() / 1000 - ageSeconds, TimeUnit.SECONDS));
        return digest;
    }

    @Test
    void pastItsCapTheCacheEvictsTheLeastRecentlyUsedBlobsFirst() throws Exception {
        BlobCache cache = new BlobCache(tmp, 2500);
        String a = put(cache, new byte[1000], 300);       // oldest store...
        String b = put(cache, new byte[] {1, 2, 3, 4}, 200);
        String c = put(cache, new byte[1000 + 1], 100);
        assertThat(cache.find(a)).as("...but used just now").isPresent();
        String d = put(cache, new byte[1002], 0);

        BlobCache.Freed freed = cache.evictToCap();

        // 1000 + 4 + 1001 + 1002 = 3007 > 2500: b (used 200 s ago) and then c (100 s ago) are the least recently used.
        assertThat(cache.find(b)).isEmpty();
        assertThat(cache.find(c)).isEmpty();
        assertThat(cache.find(a)).isPresent();
        assertThat(cache.find(d)).isPresent();
        assertThat(freed).isEqualTo(new BlobCache.Freed(2, 1005));
        assertThat(cache.evictToCap()).as("fits now").isEqualTo(new BlobCache.Freed(0, 0));
    }

    @Test
    void noEvictionWhileAPullUsesBlobsAndPruneWaitsForIt() throws Exception {
        BlobCache cache = new BlobCache(tmp, 10);
        String a = put(cache, new byte[100], 10);
        try (BlobCache.InUse pull = cache.inUse()) {
            Thread other = Thread.ofVirtual().start(() -> {
                try {
                    assertThat(cache.evictToCap()).isEqualTo(new BlobCache.Freed(0, 0));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            other.join();
            assertThat(cache.find(a)).isPresent();
        }
        assertThat(cache.clear()).isEqualTo(new BlobCache.Freed(1, 100));
        assertThat(cache.find(a)).isEmpty();
    }
}
