package dev.banger.daemon.kernel;

import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Decodes the LZ4 "legacy" stream the kernel build uses for CONFIG_KERNEL_LZ4 (Debian 12's kernels ship that):
 * magic 0x184C2102, then blocks of [u32 LE compressed size][raw LZ4 block], each 8 MiB uncompressed but the last.
 * The stream has no end marker and the bzImage carries unrelated bytes after it, so a block that decodes to
 * less than 8 MiB, or a size field that cannot be a block, ends it.
 */
final class Lz4Legacy {
    static final byte[] MAGIC = {0x02, 0x21, 0x4C, 0x18};
    private static final int BLOCK = 8 << 20;
    private static final int MAX_COMPRESSED = BLOCK + BLOCK / 255 + 16;

    private Lz4Legacy() { }

    /** Decodes from image[offset] (the magic) and returns the number of bytes written. */
    static long decode(byte[] image, int offset, OutputStream out) throws IOException {
        int pos = offset + MAGIC.length;
        long total = 0;
        while (pos + 4 <= image.length) {
            int size = (image[pos] & 0xFF) | (image[pos + 1] & 0xFF) << 8 | (image[pos + 2] & 0xFF) << 16 | (image[pos + 3] & 0xFF) << 24;
            if (size == 0x184C2102) {
                pos += 4;
                continue;
            }
            if (size <= 0 || size > MAX_COMPRESSED || pos + 4 + size > image.length) {
                break;
            }
            long n;
            try (InputStream in = new BlockLZ4CompressorInputStream(new ByteArrayInputStream(image, pos + 4, size))) {
                n = in.transferTo(out);
            } catch (IOException | RuntimeException e) {
                if (total == 0) {
                    throw new IOException("LZ4 block at offset " + pos + " does not decode", e);
                }
                // The bytes after a stream that is a whole number of blocks long looked like one more block.
                break;
            }
            total += n;
            pos += 4 + size;
            if (n < BLOCK) {
                break;
            }
        }
        return total;
    }
}
