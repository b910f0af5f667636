package dev.banger.daemon.boot;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The small newc cpio appended after a kernel's base initrd. Inode numbers start high so they never
 * collide with the base archive's: the kernel's unpacker links same-inode files with nlink>1.
 */
final class LayerCpio implements Closeable {
    private final CpioArchiveOutputStream cpio;
    private long nextInode = 1_000_000;

    LayerCpio(OutputStream out) {
        this.cpio = new CpioArchiveOutputStream(out, CpioConstants.FORMAT_NEW);
    }

    void dir(String name) throws IOException {
        CpioArchiveEntry e = entry(name, CpioConstants.C_ISDIR | 0755, 0);
        e.setNumberOfLinks(2);
        cpio.putArchiveEntry(e);
        cpio.closeArchiveEntry();
    }

    void file(String name, int perm, byte[] content) throws IOException {
        cpio.putArchiveEntry(entry(name, CpioConstants.C_ISREG | perm, content.length));
        cpio.write(content);
        cpio.closeArchiveEntry();
    }

    void file(String name, int perm, Path source) throws IOException {
        cpio.putArchiveEntry(entry(name, CpioConstants.C_ISREG | perm, Files.size(source)));
        try (InputStream in = Files.newInputStream(source)) {
            in.transferTo(cpio);
        }
        cpio.closeArchiveEntry();
    }

    private CpioArchiveEntry entry(String name, int mode, long size) {
        CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name);
        e.setMode(mode);
        e.setSize(size);
        e.setInode(nextInode++);
        e.setNumberOfLinks(1);
        e.setTime(0);
        return e;
    }

    @Override
    public void close() throws IOException {
        cpio.close();
    }
}
