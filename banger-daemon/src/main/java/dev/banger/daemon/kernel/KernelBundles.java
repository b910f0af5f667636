package dev.banger.daemon.kernel;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import dev.banger.daemon.fs.PosixModes;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a kernel bundle (the format {@link KernelPuller} downloads) from a kernel directory:
 * a zstd-compressed tar of vmlinux, initrd.img (if present) and modules/ (if present).
 * Symlinks under modules/ that are absolute or point outside the bundle (Debian's
 * {@code build -> /usr/src/...}) are left out, since a bundle may not carry them.
 */
public final class KernelBundles {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private KernelBundles() { }

    /** Writes the bundle to out and flushes it; out is not closed. */
    public static void write(Path kernelDir, OutputStream out) throws IOException {
        write(kernelDir, out, 3);
    }

    static void write(Path kernelDir, OutputStream out, int level) throws IOException {
        Path vmlinux = kernelDir.resolve(BundleExtractor.VMLINUX);
        if (!Files.isRegularFile(vmlinux, NOFOLLOW)) {
            throw new IOException("no vmlinux in " + kernelDir);
        }
        ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(new NonClosing(out), level);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(zstd, 256 << 10), "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            file(tar, vmlinux, BundleExtractor.VMLINUX);
            Path initrd = kernelDir.resolve(BundleExtractor.INITRD);
            if (Files.isRegularFile(initrd, NOFOLLOW)) {
                file(tar, initrd, BundleExtractor.INITRD);
            }
            Path modules = kernelDir.resolve(BundleExtractor.MODULES);
            if (Files.isDirectory(modules, NOFOLLOW)) {
                tree(tar, kernelDir, modules);
            }
        }
        out.flush();
    }

    private static void tree(TarArchiveOutputStream tar, Path kernelDir, Path modules) throws IOException {
        List<Path> paths;
        try (Stream<Path> s = Files.walk(modules)) {
            paths = new ArrayList<>(s.sorted().toList());
        }
        for (Path p : paths) {
            String name = kernelDir.relativize(p).toString();
            if (Files.isSymbolicLink(p)) {
                String target = Files.readSymbolicLink(p).toString();
                if (!staysInside(name, target)) {
                    continue;
                }
                TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                e.setLinkName(target);
                e.setMode(0120777);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            } else if (Files.isDirectory(p, NOFOLLOW)) {
                TarArchiveEntry e = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
                e.setMode(040000 | PosixModes.mode(Files.getPosixFilePermissions(p, NOFOLLOW)));
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            } else if (Files.isRegularFile(p, NOFOLLOW)) {
                file(tar, p, name);
            }
            // Sockets, fifos and devices have no place in a bundle.
        }
    }

    private static void file(TarArchiveOutputStream tar, Path p, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
        e.setSize(Files.size(p));
        e.setMode(0100000 | PosixModes.mode(Files.getPosixFilePermissions(p, NOFOLLOW)));
        e.setModTime(Files.getLastModifiedTime(p, NOFOLLOW));
        tar.putArchiveEntry(e);
        try (InputStream in = Files.newInputStream(p, NOFOLLOW)) {
            in.transferTo(tar);
        }
        tar.closeArchiveEntry();
    }

    /** Lexical check, good enough for the writer: the extractor checks for real. */
    static boolean staysInside(String linkPath, String target) {
        if (target.isEmpty() || target.startsWith("/")) {
            return false;
        }
        int depth = linkPath.split("/").length - 1;
        for (String part : target.split("/")) {
            if (part.equals("..")) {
                if (--depth < 0) {
                    return false;
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                depth++;
            }
        }
        return true;
    }

    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
