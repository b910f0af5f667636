package dev.banger.daemon.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * A response body whose content length is not fixed in advance (registry blobs, manifests, token
 * answers) read under the same rules as {@link VerifiedDownload}: on its own thread
 * ({@link PipedBody}), given up by an {@link IdleWatchdog} when no byte arrives for the idle
 * timeout, and cut off as soon as it grows past maxBytes. Failures are one line naming what was
 * fetched: "&lt;what&gt;: no data received for &lt;n&gt; s" and "&lt;what&gt; is larger than &lt;n&gt; bytes".
 */
public final class WatchedBody extends InputStream {
    private final PipedBody piped;
    private final IdleWatchdog watchdog;
    private final String what;
    private final Duration idleTimeout;

    /** what: names the body in errors, e.g. "GET https://registry/v2/.../blobs/sha256:..."; maxBytes: 0 for no cap. */
    public WatchedBody(InputStream body, String what, long maxBytes, Duration idleTimeout, String threadName) {
        this.what = what;
        this.idleTimeout = idleTimeout;
        this.watchdog = new IdleWatchdog(idleTimeout, threadName + "-watchdog");
        this.piped = new PipedBody(body, null, total -> {
            watchdog.touch();
            if (maxBytes > 0 && total > maxBytes) throw new IOException(what + " is larger than " + maxBytes + " bytes");
        }, threadName);
        watchdog.start(piped.readerThread());
        piped.start();
    }

    @Override
    public int read() throws IOException {
        try {
            return piped.read();
        } catch (IOException e) {
            throw translated(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return piped.read(b, off, len);
        } catch (IOException e) {
            throw translated(e);
        }
    }

    /** Reads the whole body (bounded by maxBytes). */
    public byte[] readAll() throws IOException {
        return readAllBytes();
    }

    private IOException translated(IOException e) {
        // The watchdog interrupts the reader thread, never the caller's: the caller's flag stays clean.
        if (watchdog.fired()) return new IOException(what + ": no data received for " + idleTimeout.toSeconds() + " s", e);
        return e;
    }

    @Override
    public void close() throws IOException {
        try (watchdog) {
            piped.close();
        }
    }
}
