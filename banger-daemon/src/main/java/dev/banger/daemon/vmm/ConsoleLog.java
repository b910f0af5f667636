package dev.banger.daemon.vmm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A guest's serial console, capped: the newest output lives in {@code console.log}, and when that
 * reaches half the cap it becomes {@code console.log.1} (replacing the older half) and a new
 * {@code console.log} starts. So at most maxBytes are kept, and always at least the newest half.
 * A guest writing to its console without end cannot fill the host's disk.
 *
 * <p>Readers never load a whole file: {@link #tail} reads from the end across both files. Files
 * are created 0600. One writer per file (bangerd's {@link ConsoleDrain}); not thread-safe.
 */
public final class ConsoleLog implements Closeable {
    private final Path file;
    private final long half;
    private FileChannel out;
    private long size;

    private ConsoleLog(Path file, long maxBytes) {
        this.file = file;
        this.half = Math.max(1, maxBytes / 2);
    }

    /**
     * fresh: a new boot, so both halves of an earlier boot go; otherwise (bangerd reattached to a
     * running guest) output continues where the file ends.
     */
    public static ConsoleLog open(Path file, long maxBytes, boolean fresh) throws IOException {
        if (fresh) {
            Files.deleteIfExists(file);
            Files.deleteIfExists(previousOf(file));
        }
        ConsoleLog log = new ConsoleLog(file, maxBytes);
        log.openCurrent();
        return log;
    }

    /** The older half. */
    public static Path previousOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".1");
    }

    private void openCurrent() throws IOException {
        out = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        size = out.size();
    }

    public void append(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (size >= half) rotate();
            int n = (int) Math.min(len, half - size);
            ByteBuffer buf = ByteBuffer.wrap(b, off, n);
            while (buf.hasRemaining()) out.write(buf);
            size += n;
            off += n;
            len -= n;
        }
    }

    private void rotate() throws IOException {
        out.close();
        // A reader following console.log by its open descriptor finishes it as console.log.1.
        Files.move(file, previousOf(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        openCurrent();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /**
     * The last maxBytes of the console (older half first), read from the end of each file; an
     * absent file counts as empty. Decoded as UTF-8 with replacement, since guests write anything.
     */
    public static String tail(Path file, int maxBytes) throws IOException {
        byte[] current = lastBytes(file, maxBytes);
        byte[] older = current.length < maxBytes ? lastBytes(previousOf(file), maxBytes - current.length) : new byte[0];
        byte[] all = new byte[older.length + current.length];
        System.arraycopy(older, 0, all, 0, older.length);
        System.arraycopy(current, 0, all, older.length, current.length);
        return new String(all, StandardCharsets.UTF_8);
    }

    private static byte[] lastBytes(Path p, int max) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long size = ch.size();
            int n = (int) Math.min(size, max);
            ByteBuffer buf = ByteBuffer.allocate(n);
            long pos = size - n;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos + buf.position());
                if (r < 0) break;
            }
            return java.util.Arrays.copyOf(buf.array(), buf.position());
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }
}
