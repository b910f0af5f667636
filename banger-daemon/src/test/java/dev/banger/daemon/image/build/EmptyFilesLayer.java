package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Issue 8's huge layer, for ImageLimitsTest (a tenth of the scale) and the {@code layers} benchmark
 * (a million): a gzip'd tar of empty files in directories, every entry owned by uid 1000 so each
 * needs an ownership fix, and the child JVM that flattens it in a given heap.
 */
public final class EmptyFilesLayer {
    private EmptyFilesLayer() { }

    /** Writes {@code dirs} directories of {@code filesPerDir} empty files each to {@code blob}. */
    public static void write(Path blob, int dirs, int filesPerDir) throws IOException {
        try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(blob), 1 << 16);
             GZIPOutputStream gz = new GZIPOutputStream(raw, 1 << 16) {{ def.setLevel(Deflater.BEST_SPEED); }};
             TarArchiveOutputStream tar = new TarArchiveOutputStream(gz, "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (int d = 0; d < dirs; d++) {
                TarArchiveEntry dir = new TarArchiveEntry(String.format("d%03d/", d));
                dir.setIds(1000, 1000);
                tar.putArchiveEntry(dir);
                tar.closeArchiveEntry();
                for (int f = 0; f < filesPerDir; f++) {
                    TarArchiveEntry e = new TarArchiveEntry(String.format("d%03d/f%06d", d, f));
                    e.setSize(0);
                    e.setMode(0100644);
                    e.setIds(1000, 1000);
                    tar.putArchiveEntry(e);
                    tar.closeArchiveEntry();
                }
            }
        }
    }

    /**
     * The child JVM (args: blob, scratch dir, output ext4): one LayersToExt4 conversion, then one line,
     * {@code entries=N fixed=N} and each heap pool's peak in MiB.
     */
    public static final class Flatten {
        private Flatten() { }

        public static void main(String[] args) throws Exception {
            LayersToExt4.Layer l = new LayersToExt4.Layer(Path.of(args[0]), "application/vnd.oci.image.layer.v1.tar+gzip", "sha256:test");
            Ext4Result r = new LayersToExt4(Path.of(args[1])).convert(List.of(l), Path.of(args[2]), ProgressSink.NONE);
            StringBuilder peaks = new StringBuilder();
            for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == java.lang.management.MemoryType.HEAP) {
                    peaks.append(' ').append(pool.getName().replace(' ', '_')).append("PeakMiB=").append(pool.getPeakUsage().getUsed() >> 20);
                }
            }
            System.out.println("entries=" + r.entries() + " fixed=" + r.ownershipFixes() + peaks);
        }
    }
}
