package dev.banger.daemon.kernel;

import dev.banger.daemon.host.HostCommand;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Pulls the uncompressed ELF vmlinux out of a bzImage: microvm boots the ELF through PVH,
 * which skips the ~2.4 s of in-guest decompression that TCG would otherwise spend.
 */
final class VmlinuxExtractor {
    /** A compressed payload format: its magic and the tool that decompresses it from stdin (none: decoded in Java). */
    private record Format(String name, byte[] magic, List<String> decompress) { }

    private record Candidate(Format format, int offset) { }

    private static final List<Format> FORMATS = List.of(
            // --single-stream stops at the end of the xz stream, so the bzImage trailer after it is not an error.
            new Format("xz", new byte[] {(byte) 0xFD, '7', 'z', 'X', 'Z', 0}, List.of("xz", "-dc", "--single-stream")),
            new Format("zstd", new byte[] {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD}, List.of("zstd", "-dc")),
            new Format("gzip", new byte[] {0x1F, (byte) 0x8B, 0x08, 0x00}, List.of("gzip", "-dc")),
            // Debian 12 builds its kernels with CONFIG_KERNEL_LZ4, not xz.
            new Format("lz4-legacy", Lz4Legacy.MAGIC, List.of()));

    private final Duration toolTimeout;

    VmlinuxExtractor(Duration toolTimeout) {
        this.toolTimeout = toolTimeout;
    }

    void extract(Path vmlinuz, Path out) throws IOException, InterruptedException {
        byte[] image = Files.readAllBytes(vmlinuz);
        if (KernelFiles.isElf64(image)) {
            Files.write(out, image);
            return;
        }
        // Magic bytes also occur by chance inside the payload; the real payload starts right after the
        // decompressor stub, so the earliest candidate is tried first.
        List<Candidate> candidates = new ArrayList<>();
        for (Format f : FORMATS) {
            int off = indexOf(image, f.magic());
            if (off >= 0) {
                candidates.add(new Candidate(f, off));
            }
        }
        candidates.sort(Comparator.comparingInt(Candidate::offset));
        List<String> tried = new ArrayList<>();
        for (Candidate c : candidates) {
            tried.add(c.format().name() + "@" + c.offset());
            if (decompress(image, c, out) && KernelFiles.isElf64(out)) {
                return;
            }
        }
        Files.deleteIfExists(out);
        throw new IOException("no ELF vmlinux found in " + vmlinuz.getFileName()
                + (tried.isEmpty() ? " (no xz, zstd, gzip or lz4 payload)" : " (tried " + String.join(", ", tried) + ")"));
    }

    private boolean decompress(byte[] image, Candidate c, Path out) throws IOException, InterruptedException {
        if (c.format().decompress().isEmpty()) {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(out), 1 << 16)) {
                Lz4Legacy.decode(image, c.offset(), os);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        Path payload = out.resolveSibling(out.getFileName() + "." + c.format().name() + ".payload");
        try {
            try (OutputStream os = Files.newOutputStream(payload)) {
                os.write(image, c.offset(), image.length - c.offset());
            }
            HostCommand.of(c.format().decompress(), toolTimeout).stdin(payload).stdoutTo(out).run();
            return true;
        } catch (IOException e) {
            // gzip and zstd complain about the bzImage bytes after their stream; the ELF check decides.
            return true;
        } finally {
            Files.deleteIfExists(payload);
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
