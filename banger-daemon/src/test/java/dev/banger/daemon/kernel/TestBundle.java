package dev.banger.daemon.kernel;

import dev.banger.daemon.fetch.TestPayloads;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Builds kernel bundles (zstd tar) entry by entry for tests, including entries no real bundle may hold. */
final class TestBundle {
    private interface Step {
        void write(TarArchiveOutputStream tar) throws IOException;
    }

    private final List<Step> steps = new ArrayList<>();

    static byte[] elf(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        b[0] = 0x7F;
        b[1] = 'E';
        b[2] = 'L';
        b[3] = 'F';
        b[4] = 2;
        return b;
    }

    /** vmlinux, initrd.img and a small modules tree with a nested dir, an executable and an internal symlink. */
    static TestBundle standard(byte[] vmlinux) {
        return new TestBundle()
                .dir("./")
                .file("./vmlinux", vmlinux, 0644)
                .file("./initrd.img", "initrd-bytes".getBytes(StandardCharsets.UTF_8), 0644)
                .dir("./modules/")
                .dir("./modules/kernel/")
                .dir("./modules/kernel/fs/")
                .file("./modules/kernel/fs/ext4.ko", "ext4-module".getBytes(StandardCharsets.UTF_8), 0644)
                .file("./modules/modules.dep", "kernel/fs/ext4.ko:\n".getBytes(StandardCharsets.UTF_8), 0644)
                .file("./modules/helper.sh", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 06755)
                .symlink("./modules/ext4-alias.ko", "kernel/fs/ext4.ko");
    }

    static TestBundle minimal() {
        return new TestBundle().file("vmlinux", elf(64, 1), 0644);
    }

    TestBundle file(String name, byte[] content, int mode) {
        steps.add(tar -> {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
            e.setSize(content.length);
            e.setMode(0100000 | mode);
            tar.putArchiveEntry(e);
            tar.write(content);
            tar.closeArchiveEntry();
        });
        return this;
    }

    TestBundle dir(String name) {
        steps.add(tar -> {
            TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, true);
            e.setMode(040755);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
        });
        return this;
    }

    TestBundle symlink(String name, String target) {
        return link(name, target, TarConstants.LF_SYMLINK);
    }

    TestBundle hardlink(String name, String target) {
        return link(name, target, TarConstants.LF_LINK);
    }

    private TestBundle link(String name, String target, byte flag) {
        steps.add(tar -> {
            TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
            e.setLinkName(target);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
        });
        return this;
    }

    /** flag: TarConstants.LF_CHR, LF_BLK or LF_FIFO. */
    TestBundle special(String name, byte flag) {
        steps.add(tar -> {
            TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
            e.setDevMajor(1);
            e.setDevMinor(3);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
        });
        return this;
    }

    byte[] tar() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Step s : steps) {
                s.write(tar);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    byte[] build() {
        return zstd(tar());
    }

    static byte[] zstd(byte[] raw) {
        return TestPayloads.zstd(raw);
    }

    static String sha256(byte[] b) {
        return TestPayloads.sha256(b);
    }
}
