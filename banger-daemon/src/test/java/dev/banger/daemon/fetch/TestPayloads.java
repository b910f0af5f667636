package dev.banger.daemon.fetch;

import com.github.luben.zstd.ZstdOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Bodies to serve in download tests, and the interrupt-mid-download harness the pullers share. */
public final class TestPayloads {
    private TestPayloads() {
    }

    public static String sha256(byte[] b) {
        return dev.banger.daemon.fs.Sha256.of(b);
    }


    /** Incompressible bytes. */
    public static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static byte[] zstd(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new ZstdOutputStream(out, 3)) {
            z.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new GZIPOutputStream(out)) {
            z.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Something that blocks on a stalled download. */
    @FunctionalInterface
    public interface Download {
        void run() throws Exception;
    }

    /**
     * Runs download on its own thread against server's stall path, waits until the stalled part was
     * sent and midway holds (e.g. the partial output exists), interrupts it and asserts that it
     * returned within 3 s. Returns what it threw.
     */
    public static Throwable interruptMidway(TestHttpServer server, BooleanSupplier midway, Download download) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                download.run();
            } catch (Throwable ex) {
                failure.set(ex);
            }
        });
        assertThat(server.stallSent.await(10, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!midway.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(midway.getAsBoolean()).as("partial output exists mid-download").isTrue();
        // Let the download block on the stalled body.
        Thread.sleep(200);
        long start = System.nanoTime();
        t.interrupt();
        t.join(5000);
        assertThat(t.isAlive()).as("download returned after interrupt").isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        return failure.get();
    }
}
