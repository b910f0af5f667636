package dev.banger.daemon.boot;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes an uncompressed newc cpio the way the kernel's initramfs unpacker wants it: every entry
 * gets its own inode number and nlink=1 for files (nlink>1 with a shared inode would be read as a hard link).
 * Used for a kernel's base initramfs and for the per-VM layer appended to it; the layer starts its
 * inode numbers high so they never collide with the base archive's.
 */
public final class CpioWriter implements Closeable {
    public static final long LAYER_FIRST_INODE = 1_000_000;

    private final CpioArchiveOutputStream cpio;
    private long nextInode;

    public CpioWriter(OutputStream out, long firstInode) {
        this.cpio = new CpioArchiveOutputStream(out, CpioConstants.FORMAT_NEW);
        this.nextInode = firstInode;
    }

    public void dir(String name, int perm) throws IOException {
        CpioArchiveEntry e = entry(name, CpioConstants.C_ISDIR | perm, 0);
        e.setNumberOfLinks(2);
        cpio.putArchiveEntry(e);
        cpio.closeArchiveEntry();
    }

    public void symlink(String name, String target) throws IOException {
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        cpio.putArchiveEntry(entry(name, CpioConstants.C_ISLNK | 0777, t.length));
        cpio.write(t);
        cpio.closeArchiveEntry();
    }

    public void file(String name, int perm, Path source) throws IOException {
        cpio.putArchiveEntry(entry(name, CpioConstants.C_ISREG | perm, Files.size(source)));
        try (InputStream in = Files.newInputStream(source)) {
            in.transferTo(cpio);
        }
        cpio.closeArchiveEntry();
    }

    public void file(String name, int perm, byte[] content) throws IOException {
        cpio.putArchiveEntry(entry(name, CpioConstants.C_ISREG | perm, content.length));
        cpio.write(content);
        cpio.closeArchiveEntry();
    }

    private CpioArchiveEntry entry(String name, int mode, long size) {
        CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name);
        e.setMode(mode);
        e.setSize(size);
        e.setInode(nextInode++);
        e.setNumberOfLinks(1);
        e.setUID(0);
        e.setGID(0);
        e.setTime(0);
        return e;
    }

    @Override
    public void close() throws IOException {
        cpio.close();
    }
}
