package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Builds an ext4 image from a tar stream without mounting anything and without root:
 * unpack into scratch, {@code mkfs.ext4 -d}, then one debugfs pass for ownership, special
 * mode bits and device nodes. Scratch and partial output are removed on every path out.
 */
public final class TarToExt4 {
    static final String STAGE = Ext4Writer.STAGE;

    private final Path scratchParent;
    private final ExtractionLimits limits;

    public TarToExt4(Path scratchParent) {
        this(scratchParent, ExtractionLimits.DEFAULT);
    }

    public TarToExt4(Path scratchParent, ExtractionLimits limits) {
        this.scratchParent = Objects.requireNonNull(scratchParent, "scratchParent");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Reads an uncompressed tar stream and writes an ext4 image at out (temp file + rename). Returns what it did. */
    public Ext4Result convert(InputStream tar, Path out, ProgressSink progress) throws IOException {
        return convert(tar, out, progress, () -> { });
    }

    /**
     * {@link #convert(InputStream, Path, ProgressSink)}, running {@code tarRead} once the whole tar is
     * extracted and before mkfs.ext4: a streamed build waits there for the tar's producer to end, so
     * that its stage is over before this one's begins (a failing producer also stops it before mkfs).
     */
    public Ext4Result convert(InputStream tar, Path out, ProgressSink progress, TarRead tarRead) throws IOException {
        Objects.requireNonNull(tar, "tar");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(tarRead, "tarRead");
        return Ext4Writer.write(scratchParent, "tar2ext4-", out, progress, tree -> {
            progress.report(STAGE, "extracting tar");
            ExtractedTree extracted = new ScratchExtractor(tree, progress, limits).extract(tar);
            tarRead.run();
            return extracted;
        });
    }

    /** Runs between the end of the tar and mkfs.ext4. */
    @FunctionalInterface
    public interface TarRead {
        void run() throws IOException;
    }
}
