package dev.banger.daemon.image.seed;

import dev.banger.daemon.host.HostCommand;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/** Turns a work seed into one VM's work disk. */
public final class WorkDisks {
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(10);

    private WorkDisks() { }

    /**
     * Copies {@code seed} to a temp sibling of {@code out}, grows it to {@code sizeBytes} (file
     * and filesystem) and renames it to {@code out}. The seed is opened exactly once, so a refresh
     * renamed over it meanwhile cannot mix two seeds into one copy. The copy is checked with
     * {@code e2fsck -f -p} before resize2fs touches it and must come out clean; a damaged seed is
     * an error, never silently repaired. {@code out} must not exist yet (a work disk holds user
     * data); the temp file is removed on every failure.
     */
    public static void materialise(Path seed, Path out, long sizeBytes) throws IOException, InterruptedException {
        Objects.requireNonNull(seed, "seed");
        Path target = Objects.requireNonNull(out, "out").toAbsolutePath().normalize();
        if (target.getFileName() == null || target.getParent() == null || !Files.isDirectory(target.getParent())) {
            throw new IOException("work disk directory does not exist: " + target.getParent());
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "work disk already exists");
        }
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            long seedSize;
            try (FileChannel in = FileChannel.open(seed, StandardOpenOption.READ);
                 FileChannel dst = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                seedSize = in.size();
                if (sizeBytes < seedSize) {
                    throw new IllegalArgumentException("work disk size " + sizeBytes
                            + " bytes is smaller than its seed (" + seedSize + " bytes): " + seed);
                }
                long pos = 0;
                while (pos < seedSize) {
                    long n = in.transferTo(pos, seedSize - pos, dst);
                    if (n <= 0) {
                        throw new IOException("seed shrank while being copied: " + seed);
                    }
                    pos += n;
                }
                dst.force(true);
            }
            try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw")) {
                raf.setLength(sizeBytes);   // sparse: nothing is written
            }
            HostCommand.Result fsck = HostCommand.of(List.of("e2fsck", "-f", "-p", tmp.toString()), TOOL_TIMEOUT).runUnchecked();
            if (fsck.exitCode() != 0) {
                throw new IOException("work seed " + seed + " failed its check (e2fsck exit " + fsck.exitCode() + "): "
                        + fsck.tail(5, " | "));
            }
            if (sizeBytes > seedSize) {
                HostCommand.of(List.of("resize2fs", tmp.toString()), TOOL_TIMEOUT).run();
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
    }
}
