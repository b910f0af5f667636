package dev.banger.daemon.image;

import com.github.luben.zstd.ZstdInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Opens a possibly compressed tarball by its magic bytes, not its file name (names lie). */
final class Archives {
    private Archives() { }

    /** in must support mark/reset (wrap it in a BufferedInputStream). */
    static InputStream decompressing(InputStream in) throws IOException {
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xFF) == 0x1F && (magic[1] & 0xFF) == 0x8B) {
            return new GZIPInputStream(in, 1 << 16);
        }
        if (magic.length == 4 && (magic[0] & 0xFF) == 0x28 && (magic[1] & 0xFF) == 0xB5
                && (magic[2] & 0xFF) == 0x2F && (magic[3] & 0xFF) == 0xFD) {
            return new ZstdInputStream(in);
        }
        return in;
    }
}
