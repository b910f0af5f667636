package dev.banger.daemon.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads a download on its own thread, hashing and counting every byte there, and hands it to the
 * consuming thread in chunks through a bounded queue: the network read and sha256 overlap with
 * decompression and file writes (as curl | zstd -d | tar -x overlaps them).
 *
 * <p>The consumer reads to EOF before trusting {@link #count()} or the digest: EOF is only queued
 * after the last byte was hashed. A failure on the reading side is rethrown to the consumer.
 * {@link #close()} stops the reader (closing the source and interrupting it) and waits for it.
 * Used by {@link VerifiedDownload}.
 */
public final class PipedBody extends InputStream {
    static final int CHUNK = 256 << 10;
    private static final int QUEUE_CHUNKS = 32;
    private static final byte[] EOF = new byte[0];

    /** Called on the reader thread after each chunk; may throw to abort (e.g. a size limit). */
    public interface Listener {
        void read(long total) throws IOException;
    }

    private final InputStream source;
    private final MessageDigest digest;
    private final Listener listener;
    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
    private final AtomicLong count = new AtomicLong();
    private final Thread reader;
    private volatile IOException failure;
    private volatile boolean closed;
    private byte[] current;
    private int pos;
    private boolean eof;

    /** digest: hashes every byte as it is read, or null when nothing needs hashing (a decompression stage). */
    public PipedBody(InputStream source, MessageDigest digest, Listener listener, String threadName) {
        this.source = source;
        this.digest = digest;
        this.listener = listener;
        this.reader = Thread.ofVirtual().name(threadName).unstarted(this::pump);
    }

    public PipedBody start() {
        reader.start();
        return this;
    }

    public Thread readerThread() {
        return reader;
    }

    private void pump() {
        try {
            while (true) {
                byte[] chunk = new byte[CHUNK];
                int n = fill(chunk);
                if (n > 0) {
                    if (digest != null) digest.update(chunk, 0, n);
                    listener.read(count.addAndGet(n));
                    queue.put(n == CHUNK ? chunk : java.util.Arrays.copyOf(chunk, n));
                }
                if (n < CHUNK) {
                    queue.put(EOF);
                    return;
                }
            }
        } catch (IOException e) {
            fail(e);
        } catch (InterruptedException e) {
            fail(new InterruptedIOException("download reader interrupted"));
        } catch (RuntimeException e) {
            fail(new IOException(e.toString(), e));
        }
    }

    private int fill(byte[] chunk) throws IOException {
        int n = 0;
        while (n < chunk.length) {
            int r = source.read(chunk, n, chunk.length - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n;
    }

    private void fail(IOException e) {
        failure = e;
        // Wake a consumer blocked on an empty queue; if the queue is full it is not blocked.
        queue.clear();
        queue.offer(EOF);
    }

    /** Bytes read and hashed so far; final once the consumer has seen EOF. */
    public long count() {
        return count.get();
    }

    private boolean advance() throws IOException {
        if (eof) {
            return false;
        }
        if (current != null && pos < current.length) {
            return true;
        }
        try {
            current = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while downloading");
        }
        pos = 0;
        if (current == EOF) {
            eof = true;
            IOException f = failure;
            if (f != null) {
                throw f;
            }
            return false;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        if (!advance()) {
            return -1;
        }
        return current[pos++] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!advance()) {
            return -1;
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Reads to EOF, so that every byte of the body has been hashed and counted. */
    public void drain() throws IOException {
        while (advance()) {
            pos = current.length;
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        reader.interrupt();
        queue.clear();
        try {
            source.close();
        } finally {
            boolean interrupted = false;
            while (true) {
                try {
                    // The reader only blocks in interruptible calls; the bound is a backstop.
                    reader.join(java.time.Duration.ofSeconds(30));
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                queue.clear();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
