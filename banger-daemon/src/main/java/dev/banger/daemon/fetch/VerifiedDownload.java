package dev.banger.daemon.fetch;

import dev.banger.daemon.fs.Sha256;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.fs.FileTrees;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Downloads a catalog-listed payload whose sha256 (and, when known, size) is fixed in advance,
 * streaming it into a consumer in one pass: the body is read, hashed and counted on a reader thread
 * ({@link PipedBody}), an {@link IdleWatchdog} gives up when no byte arrives for the idle timeout,
 * progress is reported on the caller's thread, and whatever the consumer leaves unread is drained
 * (and hashed) before the digest and size are checked. The consumer's output is only trustworthy once
 * {@link #fetch} returned; cleaning it up after a failure is the caller's job ({@link #cleaningUp}).
 *
 * <p>Failures are one-line IOExceptions: "GET &lt;url&gt;: HTTP &lt;code&gt;", "GET &lt;url&gt;: &lt;reason&gt;",
 * "GET &lt;url&gt;: no data received for &lt;n&gt; s", "GET &lt;url&gt;: body is larger than the &lt;n&gt; bytes
 * the catalog lists", "size mismatch for &lt;url&gt;: ..." and "sha256 mismatch for &lt;url&gt;: ...".
 */
public final class VerifiedDownload {
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(60);
    private static final long REPORT_BYTES = 8L << 20;
    private static final long REPORT_NANOS = 1_000_000_000L;

    /** What to download: url, the sha256 its body must have (64 lowercase hex) and its size (0: unknown). */
    public record Expected(String url, String sha256, long sizeBytes) {
        public Expected {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(sha256, "sha256");
        }
    }

    /** Reads the body (not necessarily to its end) and returns what it made of it. */
    @FunctionalInterface
    public interface BodyConsumer<T> {
        T consume(InputStream body) throws IOException;
    }

    /** Work that leaves something at a path behind until it succeeds. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws IOException, InterruptedException;
    }

    private final HttpClient http;
    private final Duration idleTimeout;
    private final String stage;
    private final String threadPrefix;

    /**
     * stage: the progress stage every report is made under; threadPrefix names the reader and
     * watchdog threads ("&lt;prefix&gt;-&lt;name&gt;", "&lt;prefix&gt;-watchdog"); idleTimeout: how long the
     * body may deliver no bytes at all before the download gives up.
     */
    public VerifiedDownload(HttpClient http, String stage, String threadPrefix, Duration idleTimeout) {
        this.http = Objects.requireNonNull(http, "http");
        this.stage = Objects.requireNonNull(stage, "stage");
        this.threadPrefix = Objects.requireNonNull(threadPrefix, "threadPrefix");
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
    }

    /**
     * GETs expected.url() and streams its body into consumer. An IOException the consumer throws is
     * passed through when it is a download failure (message starting "GET "), the idle timeout or an
     * interruption; any other goes through consumerFailure, which says what it means for this
     * payload (e.g. prefixes the URL). name only names the reader thread.
     */
    public <T> T fetch(Expected expected, String name, ProgressSink progress, BodyConsumer<T> consumer,
                       UnaryOperator<IOException> consumerFailure) throws IOException, InterruptedException {
        String url = expected.url();
        long size = expected.sizeBytes();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(HEADERS_TIMEOUT).GET().build();
        progress.report(stage, "downloading " + url);
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new IOException("GET " + url + ": " + describe(e), e);
        }
        MessageDigest sha = Sha256.newDigest();
        IdleWatchdog watchdog = new IdleWatchdog(idleTimeout, threadPrefix + "-watchdog");
        PipedBody.Listener limit = total -> {
            watchdog.touch();
            if (size > 0 && total > size) {
                throw new IOException("GET " + url + ": body is larger than the " + size + " bytes the catalog lists");
            }
        };
        try (InputStream body = resp.body();
             PipedBody piped = new PipedBody(body, sha, limit, threadPrefix + "-" + name);
             watchdog) {
            if (resp.statusCode() / 100 != 2) {
                throw new IOException("GET " + url + ": HTTP " + resp.statusCode());
            }
            long announced = size > 0 ? size : resp.headers().firstValueAsLong("content-length").orElse(-1);
            watchdog.start(piped.readerThread());
            piped.start();
            T result;
            try {
                result = consumer.consume(new Progress(piped, announced, progress, watchdog));
                // The payload ended; the rest (tar padding, compressed epilogue, anything appended) is hashed too.
                piped.drain();
            } catch (IOException e) {
                if (watchdog.fired() && causedByInterrupt(e)) {
                    throw new IOException("GET " + url + ": no data received for " + idleTimeout.toSeconds() + " s", e);
                }
                if (e.getMessage() != null && e.getMessage().startsWith("GET ")) {
                    throw e;
                }
                if (Thread.currentThread().isInterrupted() || e instanceof InterruptedIOException || e instanceof ClosedByInterruptException) {
                    throw e;
                }
                throw consumerFailure.apply(e);
            }
            long count = piped.count();
            if (size > 0 && count != size) {
                throw new IOException("size mismatch for " + url + ": expected " + size + " bytes, got " + count);
            }
            String got = Sha256.hex(sha);
            if (!got.equals(expected.sha256())) {
                throw new IOException("sha256 mismatch for " + url + ": expected " + expected.sha256() + ", got " + got);
            }
            progress.report(stage, "downloaded " + mib(count) + " MiB, sha256 ok", count, count);
            return result;
        }
    }

    /**
     * Runs work; if it fails in any way, interruption included, deletes partial (a file or a tree)
     * and rethrows. A failure that left the thread interrupted is rethrown as an InterruptedException
     * "&lt;what&gt; interrupted" (cause: the failure), so callers see an interruption as one.
     */
    public static <T> T cleaningUp(Path partial, String what, Work<T> work) throws IOException, InterruptedException {
        try {
            return work.run();
        } catch (Throwable t) {
            // Interrupted or not, the partial output goes; deleting does not use interruptible channels.
            FileTrees.deleteQuietly(partial, t);
            if (Thread.interrupted() && !(t instanceof InterruptedException)) {
                InterruptedException ie = new InterruptedException(what + " interrupted");
                ie.initCause(t);
                throw ie;
            }
            throw t;
        }
    }

    /** One line for an I/O failure, without the JDK's sometimes empty or null messages. */
    public static String describe(IOException e) {
        if (e instanceof ConnectException) {
            return "connection refused or unreachable";
        }
        if (e instanceof HttpTimeoutException) {
            return "timed out";
        }
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            Throwable c = e.getCause();
            m = c != null && c.getMessage() != null ? c.getMessage() : e.getClass().getSimpleName();
        }
        return m.replaceAll("[\\r\\n]+", " ").strip();
    }

    private static boolean causedByInterrupt(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InterruptedIOException || c instanceof ClosedByInterruptException || c instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }


    private static String mib(long bytes) {
        return String.format("%.1f", bytes / 1048576.0);
    }

    /**
     * Reports progress on the caller's thread (the sink need not be thread-safe) and counts consumer
     * reads as activity for the watchdog (a slow consumer stalls the reader, not the network). Does
     * not close the piped body: its owner does.
     */
    private final class Progress extends FilterInputStream {
        private final PipedBody piped;
        private final long expected;
        private final ProgressSink progress;
        private final IdleWatchdog watchdog;
        private long lastReportBytes;
        private long lastReportNanos = System.nanoTime();

        Progress(PipedBody piped, long expected, ProgressSink progress, IdleWatchdog watchdog) {
            super(piped);
            this.piped = piped;
            this.expected = expected;
            this.progress = progress;
            this.watchdog = watchdog;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            maybeReport();
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            maybeReport();
            return n;
        }

        private void maybeReport() {
            watchdog.touch();
            long count = piped.count();
            long now = System.nanoTime();
            if (count - lastReportBytes >= REPORT_BYTES || now - lastReportNanos >= REPORT_NANOS) {
                lastReportBytes = count;
                lastReportNanos = now;
                progress.report(stage, expected > 0
                        ? "downloaded " + mib(count) + " of " + mib(expected) + " MiB"
                        : "downloaded " + mib(count) + " MiB", count, expected > 0 ? expected : -1);
            }
        }

        @Override
        public void close() {
            // The piped body is closed by its owner.
        }
    }
}
