package dev.banger.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * {@code vm cp} into a guest: one host path as a tar whose single top-level entry is {@code name}. Symlinks
 * are stored as symlinks (never followed, below the top), modes and mtimes are kept, owners are not (the
 * guest makes everything root's). GNU long names and star's base-256 numbers: what busybox tar reads.
 * Sockets, fifos and devices are skipped with a warning, as cp -r would fail on them.
 */
final class HostTarWriter {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final PrintStream warnings;

    HostTarWriter(PrintStream warnings) {
        this.warnings = warnings;
    }

    /** Writes {@code source} (a file, symlink or, with recursive, a directory tree) to out and finishes the tar; out stays open. */
    void write(Path source, String name, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new NonClosing(out));
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                add(tar, dir, entryName(source, dir, name) + "/", attrs);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                add(tar, file, entryName(source, file, name), attrs);
                return FileVisitResult.CONTINUE;
            }
        });
        tar.finish();
        tar.close();
    }

    private static String entryName(Path source, Path p, String name) {
        Path rel = source.relativize(p);
        return rel.toString().isEmpty() ? name : name + "/" + rel.toString().replace('\\', '/');
    }

    private void add(TarArchiveOutputStream tar, Path p, String entryName, BasicFileAttributes attrs) throws IOException {
        PosixFileAttributes posix = Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW);
        TarArchiveEntry e;
        if (posix.isSymbolicLink()) {
            e = new TarArchiveEntry(entryName, TarConstants.LF_SYMLINK);
            e.setLinkName(Files.readSymbolicLink(p).toString());
        } else if (posix.isDirectory()) {
            e = new TarArchiveEntry(entryName);
        } else if (posix.isRegularFile()) {
            e = new TarArchiveEntry(entryName);
            e.setSize(posix.size());
        } else {
            warnings.println("banger: skipping " + p + ": not a regular file, directory or symlink");
            return;
        }
        e.setMode(mode(posix.permissions()) | (e.isDirectory() ? 040000 : e.isSymbolicLink() ? 0120000 : 0100000));
        e.setModTime(posix.lastModifiedTime());
        e.setIds(0, 0);
        e.setNames("root", "root");
        tar.putArchiveEntry(e);
        if (posix.isRegularFile()) {
            try (InputStream in = Files.newInputStream(p, NOFOLLOW)) {
                in.transferTo(tar);
            }
        }
        tar.closeArchiveEntry();
    }

    static int mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return m;
    }

    /** The tar's close must not close the caller's stream (the RPC call's stdin). */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
