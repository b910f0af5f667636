package dev.banger.daemon.image.seed;

import dev.banger.daemon.host.HostCommand;
import dev.banger.daemon.image.build.DebugfsCommands;
import dev.banger.daemon.image.build.Ext4Sizing;
import dev.banger.core.ProgressSink;
import dev.banger.daemon.fs.FileTrees;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Per-image work seeds: {@code imageDir/work-seed.ext4} holds the guest user's home skeleton from
 * the image plus {@code .ssh/authorized_keys}; every VM's work disk is materialised from it (see
 * {@link WorkDisks}).
 *
 * <p>The seed is never rewritten in place. A refresh (the host's keys changed) is built on a
 * unique sibling temp file and renamed over the seed, so a concurrent reader either still holds
 * the old inode open or opens the new one, never a half-written ext4 (the "Superblock checksum
 * does not match" of seed 002). {@code work-seed.fingerprint} is written only after that rename,
 * so it never describes content that is not on disk yet. Within this JVM refreshes of one image
 * are serialised, so a slow refresh with older keys cannot land after a newer one and leave a
 * fingerprint that lies about the seed.
 */
public final class WorkSeeds {
    public static final String SEED_NAME = "work-seed.ext4";
    public static final String FINGERPRINT_NAME = "work-seed.fingerprint";
    static final String STAGE = "prepare_rootfs";

    static final long MIB = 1024 * 1024;
    static final long BLOCK = 4096;

    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(5);
    // Same rule as GuestBootConfig's home dir: it ends up in shell and debugfs commands.
    private static final Pattern HOME = Pattern.compile("/[A-Za-z0-9._@+/-]*");
    private static final Map<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

    private final Path scratchParent;

    public WorkSeeds(Path scratchParent) {
        this.scratchParent = Objects.requireNonNull(scratchParent, "scratchParent");
    }

    /**
     * Returns {@code imageDir/work-seed.ext4}, building or refreshing it first unless its recorded
     * fingerprint already equals the fingerprint of {@code keys}' authorized_keys.
     *
     * @param homeDir the guest user's home inside the image, e.g. {@code /root}
     */
    public Path ensure(Path imageDir, Path rootfsExt4, String homeDir, SshKeys keys, ProgressSink progress)
            throws IOException, InterruptedException {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(progress, "progress");
        validateHome(homeDir);
        Path dir = Objects.requireNonNull(imageDir, "imageDir").toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new IOException("image directory does not exist: " + dir);
        }
        if (!Files.isRegularFile(Objects.requireNonNull(rootfsExt4, "rootfsExt4"))) {
            throw new IOException("image rootfs does not exist: " + rootfsExt4);
        }
        Path seed = dir.resolve(SEED_NAME);
        List<String> authorized = keys.authorizedKeys();
        String fingerprint = SshKeys.fingerprintOf(authorized);
        if (isCurrent(dir, fingerprint)) {
            return seed;
        }
        ReentrantLock lock = LOCKS.computeIfAbsent(dir, k -> new ReentrantLock());
        lock.lockInterruptibly();
        try {
            // Another caller may have refreshed it while we waited; the keys may have moved on too.
            authorized = keys.authorizedKeys();
            fingerprint = SshKeys.fingerprintOf(authorized);
            if (isCurrent(dir, fingerprint)) {
                return seed;
            }
            progress.report(STAGE, Files.exists(seed) ? "refreshing work seed: SSH keys changed" : "building work seed");
            build(dir, rootfsExt4, homeDir, authorized, progress);
            writeFingerprint(dir, fingerprint);
            progress.report(STAGE, "work seed ready: " + seed);
            return seed;
        } finally {
            lock.unlock();
        }
    }

    static void validateHome(String homeDir) {
        if (homeDir == null || !HOME.matcher(homeDir).matches()) {
            throw new IllegalArgumentException("home dir must be an absolute path of letters, digits and ._@+-/: " + homeDir);
        }
        for (String part : homeDir.split("/")) {
            if (part.equals("..") || part.equals(".")) {
                throw new IllegalArgumentException("home dir must not contain '.' or '..' components: " + homeDir);
            }
        }
        if (homeDir.replace("/", "").isEmpty()) {
            throw new IllegalArgumentException("home dir must not be /");
        }
    }

    private static boolean isCurrent(Path dir, String fingerprint) throws IOException {
        Path seed = dir.resolve(SEED_NAME);
        Path fp = dir.resolve(FINGERPRINT_NAME);
        if (!Files.isRegularFile(seed) || !Files.isRegularFile(fp)) {
            return false;
        }
        try {
            return Files.readString(fp, StandardCharsets.UTF_8).strip().equals(fingerprint);
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    private void build(Path dir, Path rootfs, String homeDir, List<String> authorized, ProgressSink progress)
            throws IOException, InterruptedException {
        if (!Files.isDirectory(scratchParent)) {
            throw new IOException("scratch parent does not exist or is not a directory: " + scratchParent);
        }
        Path scratch = Files.createTempDirectory(scratchParent, "work-seed-");
        Path tmp = null;
        Throwable primary = null;
        try {
            DebugfsCommands.requireEncodable(scratch.toString());
            Path tree = extractHome(rootfs, homeDir, scratch, progress);
            int rootMode = 040000 | modeBits(tree);
            addAuthorizedKeys(tree, authorized);

            Plan plan = plan(tree);
            tmp = dir.resolve(".work-seed." + UUID.randomUUID() + ".tmp");
            try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw")) {
                raf.setLength(plan.sizeBytes());
            }
            progress.report(STAGE, "mkfs.ext4 work seed " + plan.sizeBytes() / MIB + " MiB, "
                    + plan.entries() + " entries");
            HostCommand.of(List.of("mkfs.ext4", "-q", "-F", "-b", Long.toString(BLOCK), "-L", "banger-work",
                    // No resize_inode: its reserved GDT blocks would cap growth at 1024x the seed
                    // (an 8 MiB seed could not become a 9 GiB work disk); without it offline
                    // resize2fs grows to any size.
                    "-O", "^resize_inode",
                    "-N", Long.toString(plan.inodes()),
                    "-E", "root_owner=0:0", "-d", tree.toString(), tmp.toString()), TOOL_TIMEOUT).run();
            fixOwnership(tree, rootMode, tmp, scratch);
            HostCommand.Result fsck = HostCommand.of(List.of("e2fsck", "-fn", tmp.toString()), TOOL_TIMEOUT).runUnchecked();
            if (fsck.exitCode() != 0) {
                throw new IOException("e2fsck found problems in the new work seed (exit " + fsck.exitCode() + "): " + fsck.tail(5, " | "));
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            FileTrees.deleteRecursively(scratch);   // free the space before the seed becomes visible
            Files.move(tmp, dir.resolve(SEED_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (Throwable t) {
            primary = t;
            throw t;
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    if (primary != null) primary.addSuppressed(e); else throw e;
                }
            }
            if (primary != null) {
                FileTrees.deleteQuietly(scratch, primary);
            } else {
                FileTrees.deleteRecursively(scratch);
            }
        }
    }

    /**
     * Copies the image's home directory out with debugfs rdump. rdump writes
     * {@code <dest>/<basename of homeDir>}; that directory (not dest) becomes the seed's top
     * level, so the work disk mounted at homeDir holds the home's contents, not a nested
     * {@code root/}. An image without that directory gives an empty tree.
     */
    private static Path extractHome(Path rootfs, String homeDir, Path scratch, ProgressSink progress)
            throws IOException, InterruptedException {
        Path dump = Files.createDirectory(scratch.resolve("dump"));
        String normalized = homeDir.replaceAll("/+", "/").replaceAll("/$", "");
        String base = normalized.substring(normalized.lastIndexOf('/') + 1);
        HostCommand.Result r = HostCommand.of(List.of("debugfs", "-R", "rdump \"" + normalized + "\" \"" + dump + "\"",
                rootfs.toString()), TOOL_TIMEOUT).runUnchecked();
        // Not root: rdump cannot give the dump the image's owners and says so for every inode.
        // Harmless, since fixOwnership sets every inode's owner in the seed anyway.
        List<String> errors = DebugfsCommands.errors(r).stream()
                .filter(l -> !l.contains("while changing ownership of"))
                .toList();
        Path tree = dump.resolve(base);
        if (r.exitCode() == 0 && errors.size() == 1 && errors.getFirst().contains("File not found by ext2_lookup")
                && !Files.exists(tree, LinkOption.NOFOLLOW_LINKS)) {
            progress.report(STAGE, "image has no " + normalized + "; work seed starts empty");
            Files.createDirectory(tree, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return tree;
        }
        if (r.exitCode() != 0 || !errors.isEmpty()) {
            throw new IOException("debugfs could not copy " + normalized + " out of " + rootfs + " (exit " + r.exitCode()
                    + "): " + (errors.isEmpty() ? r.tail(5, " | ") : errors.getFirst()));
        }
        if (!Files.isDirectory(tree, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(normalized + " in " + rootfs + " is not a directory");
        }
        return tree;
    }


    /**
     * Replaces whatever the skeleton had at .ssh/authorized_keys. A skeleton's .ssh may be a
     * symlink (rdump recreates links as links): it is removed, never followed, since following it
     * would write on the host.
     */
    private static void addAuthorizedKeys(Path tree, List<String> authorized) throws IOException {
        Path ssh = tree.resolve(".ssh");
        if (Files.exists(ssh, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(ssh, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(ssh);
        }
        if (!Files.exists(ssh, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(ssh);
        }
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
        Path ak = ssh.resolve("authorized_keys");
        FileTrees.deleteRecursively(ak);
        Files.writeString(ak, SshKeys.authorizedKeysContent(authorized), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(ak, PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * mkfs -d gives every copied inode its scratch owner: root when the daemon runs as root, the
     * daemon's user otherwise. Set uid/gid 0 on every inode explicitly so the seed is the same
     * either way, and pin the modes that sshd insists on.
     */
    private static void fixOwnership(Path tree, int rootMode, Path image, Path scratch) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("sif \"/\" mode 0" + Integer.toOctalString(rootMode));
        Files.walkFileTree(tree, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (!d.equals(tree)) {
                    chown(d);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                chown(f);
                return FileVisitResult.CONTINUE;
            }

            private void chown(Path p) throws IOException {
                String inImage = inImage(tree, p);
                lines.add("sif \"" + inImage + "\" uid 0");
                lines.add("sif \"" + inImage + "\" gid 0");
            }
        });
        lines.add("sif \"/.ssh\" mode 040700");
        lines.add("sif \"/.ssh/authorized_keys\" mode 0100600");
        DebugfsCommands.runScript("set ownership in the work seed", lines, image, scratch);
    }

    private static String inImage(Path tree, Path p) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path part : tree.relativize(p)) {
            String name = part.toString();
            DebugfsCommands.requireEncodable(name);
            sb.append('/').append(name);
        }
        return sb.toString();
    }

    private static int modeBits(Path dir) throws IOException {
        return (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    record Plan(long sizeBytes, long inodes, long entries) { }

    /**
     * Sizes the seed with the one ext4 model ({@link Ext4Sizing#WORK_SEED}): its content plus metadata,
     * journal and a few MiB of slack, at least 8 MiB, with the full inode density a grown work disk needs.
     */
    static Plan plan(Path tree) throws IOException {
        Ext4Sizing.Tally tally = new Ext4Sizing.Tally();
        Files.walkFileTree(tree, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                tally.dir();
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    tally.file(attrs.size());
                } else if (attrs.isSymbolicLink()) {
                    tally.symlink(Files.readSymbolicLink(f).toString());
                } else {
                    tally.other();
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return plan(tally.dataBytes(), tally.entries());
    }

    static Plan plan(long contentBytes, long entries) {
        Ext4Sizing.Plan p = Ext4Sizing.plan(contentBytes, entries, Ext4Sizing.WORK_SEED);
        return new Plan(p.sizeBytes(), p.inodes(), entries);
    }

    private static void writeFingerprint(Path dir, String fingerprint) throws IOException {
        Path tmp = dir.resolve(".work-seed.fingerprint." + UUID.randomUUID() + ".tmp");
        try {
            Files.writeString(tmp, fingerprint + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
            Files.move(tmp, dir.resolve(FINGERPRINT_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
