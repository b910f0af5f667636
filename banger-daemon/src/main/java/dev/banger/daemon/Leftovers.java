package dev.banger.daemon;

import dev.banger.core.BangerPaths;
import dev.banger.daemon.fs.FileTrees;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a crash (SIGKILL, power loss) leaves of banger's staging: build and import directories,
 * temp files beside what they replace, renamed-away trees still to delete, scratch trees in the
 * cache and partial blobs. Only names banger makes are matched, each where banger makes it, and
 * only entries last modified before a given instant: bangerd holds a single-instance lock, so
 * anything older than this daemon's start belongs to no live operation.
 */
public final class Leftovers {
    private static final Logger LOG = LoggerFactory.getLogger(Leftovers.class);
    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    /** ".NAME.tmp-UUID" (renamed into place when done) and ".NAME.rm-UUID" (renamed away to delete). */
    private static final Pattern STAGED = Pattern.compile("\\..+\\.(tmp|rm)-" + UUID);
    /** Ext4Writer's ".NAME.DIGITS.tmp" image beside its target. */
    private static final Pattern IMAGE_TMP = Pattern.compile("\\..+\\.\\d+\\.tmp");
    private static final Pattern BUILD = Pattern.compile("\\.build-.+");
    private static final Pattern SCRATCH = Pattern.compile("(rootfs|work-seed|tar2ext4|layers2ext4)-\\d+");
    private static final Pattern PARTIAL_BLOB = Pattern.compile("\\.tmp-[0-9a-f]{12}-\\d+\\.partial");
    private static final Pattern PROBE = Pattern.compile("kvm-probe\\d+");

    /** One removed leftover. */
    public record Removed(String path, long bytes) { }

    private final BangerPaths paths;

    public Leftovers(BangerPaths paths) {
        this.paths = paths;
    }

    /** Removes every leftover last modified before notAfter; failures are logged and skipped, never fatal. */
    public List<Removed> sweep(Instant notAfter) {
        List<Removed> removed = new ArrayList<>();
        sweepDir(paths.stateDir(), PROBE, notAfter, removed);
        sweepDir(paths.imagesDir(), BUILD, notAfter, removed);
        sweepDir(paths.kernelsDir(), STAGED, notAfter, removed);
        sweepDir(paths.cacheDir(), SCRATCH, notAfter, removed);
        sweepDir(paths.cacheDir().resolve("blobs").resolve("sha256"), PARTIAL_BLOB, notAfter, removed);
        for (Path parent : new Path[] {paths.imagesDir(), paths.kernelsDir(), paths.vmsDir()}) {
            for (Path child : children(parent)) {
                if (!Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS) || child.getFileName().toString().startsWith(".")) continue;
                sweepDir(child, STAGED, notAfter, removed);
                sweepDir(child, IMAGE_TMP, notAfter, removed);
            }
        }
        return removed;
    }

    private static void sweepDir(Path dir, Pattern names, Instant notAfter, List<Removed> removed) {
        for (Path p : children(dir)) {
            if (!names.matcher(p.getFileName().toString()).matches()) continue;
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!a.lastModifiedTime().toInstant().isBefore(notAfter)) continue;
                long bytes = sizeOf(p);
                FileTrees.deleteRecursively(p);
                removed.add(new Removed(p.toString(), bytes));
                LOG.info("swept leftover {} ({} bytes)", p, bytes);
            } catch (IOException e) {
                LOG.warn("could not sweep leftover {}: {}", p, e.toString());
            }
        }
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return List.of();
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        } catch (IOException e) {
            LOG.warn("could not list {}: {}", dir, e.toString());
        }
        return out;
    }

    private static long sizeOf(Path p) throws IOException {
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return Files.size(p);
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }
}
