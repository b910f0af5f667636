package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.host.HostCommand;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The back half shared by {@link TarToExt4} and {@link LayersToExt4}: a scratch directory that a
 * caller fills, then {@code mkfs.ext4 -d}, one debugfs pass for what the scratch copy could not
 * hold (ownership, special mode bits, device nodes, xattrs), a read-only e2fsck, and temp file +
 * rename. Scratch and partial output are removed on every path out.
 */
final class Ext4Writer {
    static final String STAGE = "build_ext4";
    /** mkfs.ext4 -d, debugfs and e2fsck over a whole image: minutes at worst, never hours. */
    static final Duration TOOL_TIMEOUT = Duration.ofMinutes(30);

    /** Fills {@code tree} (an empty directory inside scratch) and describes what it put there. */
    interface Fill {
        ExtractedTree into(Path tree) throws IOException;
    }

    private Ext4Writer() { }

    static Ext4Result write(Path scratchParent, String scratchPrefix, Path out, ProgressSink progress, Fill fill)
            throws IOException {
        Objects.requireNonNull(scratchParent, "scratchParent");
        Objects.requireNonNull(progress, "progress");
        Path target = validateOut(out);
        requireDirectory(scratchParent, "scratch parent");
        Path scratch = Files.createTempDirectory(scratchParent, scratchPrefix);
        Path tmpImage = null;
        try {
            Path tree = scratch.resolve("root");
            Files.createDirectory(tree);
            ExtractedTree extracted = fill.into(tree);
            progress.report(STAGE, "extracted " + extracted.entriesRead() + " entries, "
                    + extracted.contentBytes() + " content bytes");

            Ext4Sizing.Plan plan = Ext4Sizing.plan(extracted);
            tmpImage = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
            try (RandomAccessFile raf = new RandomAccessFile(tmpImage.toFile(), "rw")) {
                raf.setLength(plan.sizeBytes());
            }
            progress.report(STAGE, "mkfs.ext4 " + plan.sizeBytes() / Ext4Sizing.MIB + " MiB, " + plan.inodes() + " inodes");
            mkfs(tree, tmpImage, plan);

            DebugfsScript.Script script = DebugfsScript.write(extracted, scratch.resolve("xattrs"), scratch.resolve("debugfs.cmds"));
            progress.report(STAGE, "applying ownership: " + script.fixedInodes() + " inodes, "
                    + script.createdNodes() + " device nodes/fifos, " + script.xattrs() + " xattrs");
            if (!script.isEmpty()) {
                DebugfsCommands.runScriptFile("apply ownership, modes and special files", script.file(), tmpImage);
            }
            check(tmpImage);
            FileTrees.deleteRecursively(scratch);   // free the space before the image becomes visible
            Files.move(tmpImage, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmpImage = null;
            progress.report(STAGE, "wrote " + target);
            return new Ext4Result(plan.sizeBytes(), extracted.contentBytes(), extracted.entriesRead(), script.fixedInodes());
        } finally {
            if (tmpImage != null) {
                Files.deleteIfExists(tmpImage);
            }
            FileTrees.deleteRecursively(scratch);
        }
    }

    private static void mkfs(Path tree, Path image, Ext4Sizing.Plan plan) throws IOException {
        run(HostCommand.of(List.of("mkfs.ext4", "-q", "-F", "-b", "4096", "-N", Long.toString(plan.inodes()),
                "-d", tree.toString(), image.toString()), TOOL_TIMEOUT), true);
    }

    // Read-only e2fsck costs ~25 ms on a 320 MiB Debian image (metadata only), so every image gets one.
    private static void check(Path image) throws IOException {
        HostCommand.Result r = run(HostCommand.of(List.of("e2fsck", "-fn", image.toString()), TOOL_TIMEOUT), false);
        if (r.exitCode() != 0) {
            throw new IOException("e2fsck found problems in the new image (exit " + r.exitCode() + "): "
                    + tailOfBoth(r, 10));
        }
    }

    /**
     * Runs a tool for this package, whose public API (TarToExt4, LayersToExt4, DebianRootfsBuilder)
     * throws only IOException and reports an interrupt as InterruptedIOException with the flag set.
     */
    static HostCommand.Result run(HostCommand command, boolean checked) throws IOException {
        try {
            return checked ? command.run() : command.runUnchecked();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while building an ext4 image; the tool was killed");
        }
    }

    /** e2fsck reports problems on stdout and trouble on stderr: the last lines of both. */
    private static String tailOfBoth(HostCommand.Result r, int lines) {
        List<String> all = (r.stdout() + "\n" + r.stderr()).strip().lines().filter(l -> !l.isBlank()).toList();
        return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static Path validateOut(Path out) throws IOException {
        Objects.requireNonNull(out, "out");
        Path abs = out.toAbsolutePath().normalize();
        if (abs.getFileName() == null) {
            throw new IOException("output path has no file name: " + out);
        }
        requireDirectory(abs.getParent(), "output directory");
        if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("output path is a directory: " + abs);
        }
        return abs;
    }

    private static void requireDirectory(Path dir, String what) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException(what + " does not exist or is not a directory: " + dir);
        }
    }
}
