package dev.banger.daemon.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Recognises an ext4 image by its superblock magic: enough to refuse a tarball handed over as a root filesystem. */
public final class Ext4Magic {
    private static final long OFFSET = 1080;
    private static final int MAGIC = 0xEF53;

    private Ext4Magic() { }

    /** Whether file carries the magic 0xEF53 (little-endian) at byte 1080. */
    public static boolean isExt4(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (ch.read(b, OFFSET + b.position()) < 0) {
                    return false;
                }
            }
            return (b.getShort(0) & 0xFFFF) == MAGIC;
        }
    }
}
