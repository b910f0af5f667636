package dev.banger.daemon.image.build;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.core.ProgressSink;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Unpacks a tar stream into a directory without privileges and without ever following a symlink.
 *
 * <p>Ownership is not applied (we may not be root) and neither are setuid/setgid/sticky bits (the
 * JDK cannot set them); both live in the returned records and debugfs applies them later. Device
 * nodes and fifos are only recorded. Scratch copies always keep owner rwx on directories and rw on
 * files so mkfs.ext4 can read them and cleanup can delete them; debugfs restores the real mode.
 */
final class ScratchExtractor {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final int PROGRESS_EVERY = 5000;

    private final Path root;
    private final ProgressSink progress;
    private final Map<String, EntryRecord> records = new LinkedHashMap<>();

    ScratchExtractor(Path root, ProgressSink progress) {
        this.root = root;
        this.progress = progress;
    }

    ExtractedTree extract(InputStream tar) throws IOException {
        records.put("", EntryRecord.implicitDir("", 0));
        int read = 0;
        // UTF-8 explicitly: the platform default must not decide what a file is called in the guest.
        TarArchiveInputStream in = new TarArchiveInputStream(tar, "UTF-8");
        TarArchiveEntry entry;
        while ((entry = in.getNextEntry()) != null) {
            read++;
            extractOne(entry, in);
            if (read % PROGRESS_EVERY == 0) {
                progress.report("build_ext4", "extracted " + read + " entries");
            }
        }
        applyDirectoryTimes();
        return new ExtractedTree(root, List.copyOf(records.values()), read);
    }

    private void extractOne(TarArchiveEntry entry, InputStream content) throws IOException {
        String name = entry.getName();
        String path = EntryNames.normalise(name, name);
        EntryKind kind = kindOf(entry);
        if (path.isEmpty()) {
            if (kind != EntryKind.DIR) {
                throw new UnsafeEntryException(name, "non-directory entry for the root");
            }
            records.put("", record(path, kind, entry, null));
            return;
        }
        ensureParents(name, path, entry);
        Path target = resolve(name, path);
        String linkTarget = null;
        if (kind == EntryKind.HARDLINK) {
            linkTarget = hardlinkTarget(name, entry.getLinkName());
        } else if (kind == EntryKind.SYMLINK) {
            linkTarget = entry.getLinkName();
            if (linkTarget == null || linkTarget.isEmpty() || linkTarget.indexOf('\0') >= 0) {
                throw new UnsafeEntryException(name, "empty or invalid symlink target");
            }
        }
        boolean existingDir = Files.isDirectory(target, NOFOLLOW);
        if (!(kind == EntryKind.DIR && existingDir)) {
            removeExisting(path, target, existingDir);
        }
        switch (kind) {
            case DIR -> {
                if (!existingDir) {
                    Files.createDirectory(target);
                }
                setScratchMode(target, entry.getMode() | 0700);
            }
            case FILE -> {
                try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    content.transferTo(out);
                }
                setScratchMode(target, entry.getMode() | 0600);
                Files.setLastModifiedTime(target, mtime(entry));
            }
            case SYMLINK -> {
                Files.createSymbolicLink(target, Path.of(linkTarget));
                Files.getFileAttributeView(target, BasicFileAttributeView.class, NOFOLLOW).setTimes(mtime(entry), null, null);
            }
            case HARDLINK -> Files.createLink(target, resolve(name, linkTarget));
            case CHAR, BLOCK, FIFO -> { /* made by debugfs mknod after mkfs */ }
        }
        records.put(path, hardlinkAware(record(path, kind, entry, linkTarget)));
    }

    // A hardlink carries no metadata of its own in tar; the inode's owner and mode are its target's.
    private EntryRecord hardlinkAware(EntryRecord r) {
        if (r.kind() != EntryKind.HARDLINK) {
            return r;
        }
        EntryRecord t = records.get(r.linkTarget());
        return new EntryRecord(r.path(), EntryKind.HARDLINK, t.mode(), t.uid(), t.gid(), t.mtimeSec(), t.path(), 0, 0, 0);
    }

    private String hardlinkTarget(String name, String linkName) throws IOException {
        if (linkName == null || linkName.isEmpty()) {
            throw new UnsafeEntryException(name, "hardlink without a target");
        }
        String target = EntryNames.normalise(name, linkName);
        if (target.equals(EntryNames.normalise(name, name))) {
            throw new UnsafeEntryException(name, "hardlink to itself");
        }
        EntryRecord t = records.get(target);
        if (t == null || target.isEmpty()) {
            throw new UnsafeEntryException(name, "hardlink target '" + target + "' is not an already-extracted entry");
        }
        if (t.kind() == EntryKind.HARDLINK) {
            t = records.get(t.linkTarget());
        }
        if (t == null || t.kind() != EntryKind.FILE) {
            throw new UnsafeEntryException(name, "hardlink target '" + target + "' is not a regular file");
        }
        return t.path();
    }

    /** Creates parents the tar did not list, and refuses to go through anything but real directories. */
    private void ensureParents(String name, String path, TarArchiveEntry entry) throws IOException {
        String[] parts = path.split("/");
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            if (!prefix.isEmpty()) {
                prefix.append('/');
            }
            prefix.append(parts[i]);
            String parent = prefix.toString();
            Path p = resolve(name, parent);
            if (Files.isSymbolicLink(p)) {
                throw new UnsafeEntryException(name, "path traverses the symlink '" + parent + "'");
            }
            if (Files.isDirectory(p, NOFOLLOW)) {
                continue;
            }
            EntryRecord existing = records.get(parent);
            if (Files.exists(p, NOFOLLOW) || existing != null) {
                throw new UnsafeEntryException(name, "parent '" + parent + "' is not a directory");
            }
            Files.createDirectory(p);
            setScratchMode(p, 0755);
            records.put(parent, EntryRecord.implicitDir(parent, mtime(entry).to(java.util.concurrent.TimeUnit.SECONDS)));
        }
    }

    /** Tar semantics for a repeated path: the later entry wins, a replaced directory takes its subtree along. */
    private void removeExisting(String path, Path target, boolean existingDir) throws IOException {
        if (existingDir) {
            FileTrees.deleteRecursively(target);
            String prefix = path + "/";
            records.keySet().removeIf(k -> k.startsWith(prefix));
        } else {
            // Unlink rather than overwrite so that a hardlinked peer keeps its old content, as GNU tar does.
            Files.deleteIfExists(target);
        }
        records.remove(path);
    }

    private Path resolve(String name, String path) throws UnsafeEntryException {
        try {
            return path.isEmpty() ? root : root.resolve(path);
        } catch (InvalidPathException e) {
            throw new UnsafeEntryException(name, "name not representable in the host file-name encoding (" + e.getReason() + ")");
        }
    }

    private static EntryKind kindOf(TarArchiveEntry e) throws UnsafeEntryException {
        if (e.isDirectory()) {
            return EntryKind.DIR;
        }
        if (e.isSymbolicLink()) {
            return EntryKind.SYMLINK;
        }
        if (e.isLink()) {
            return EntryKind.HARDLINK;
        }
        if (e.isCharacterDevice()) {
            return EntryKind.CHAR;
        }
        if (e.isBlockDevice()) {
            return EntryKind.BLOCK;
        }
        if (e.isFIFO()) {
            return EntryKind.FIFO;
        }
        // isFile() alone is too generous: it accepts any unknown type letter (volume labels,
        // multi-volume continuations), whose payload is not file content.
        byte flag = e.getLinkFlag();
        if (flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM || flag == TarConstants.LF_CONTIG
                || flag == TarConstants.LF_GNUTYPE_SPARSE) {
            return EntryKind.FILE;
        }
        throw new UnsafeEntryException(e.getName(), "unsupported tar entry type '" + (char) e.getLinkFlag() + "'");
    }

    private static EntryRecord record(String path, EntryKind kind, TarArchiveEntry e, String linkTarget) throws UnsafeEntryException {
        long uid = e.getLongUserId();
        long gid = e.getLongGroupId();
        if (uid < 0 || uid > 0xFFFF_FFFEL || gid < 0 || gid > 0xFFFF_FFFEL) {
            throw new UnsafeEntryException(e.getName(), "uid/gid outside the 32-bit range ext4 stores");
        }
        return new EntryRecord(path, kind, e.getMode() & 07777, uid, gid,
                mtime(e).to(java.util.concurrent.TimeUnit.SECONDS), linkTarget,
                kind == EntryKind.CHAR || kind == EntryKind.BLOCK ? e.getDevMajor() : 0,
                kind == EntryKind.CHAR || kind == EntryKind.BLOCK ? e.getDevMinor() : 0,
                kind == EntryKind.FILE ? e.getSize() : 0);
    }

    private static FileTime mtime(TarArchiveEntry e) {
        FileTime t = e.getLastModifiedTime();
        return t == null ? FileTime.fromMillis(0) : t;
    }

    // Creating children bumps a directory's mtime, so directories get theirs last, deepest first.
    private void applyDirectoryTimes() throws IOException {
        List<EntryRecord> dirs = new ArrayList<>();
        for (EntryRecord r : records.values()) {
            if (r.kind() == EntryKind.DIR) {
                dirs.add(r);
            }
        }
        dirs.sort(Comparator.comparingInt((EntryRecord r) -> depth(r.path())).reversed());
        for (EntryRecord d : dirs) {
            Files.setLastModifiedTime(d.path().isEmpty() ? root : root.resolve(d.path()), FileTime.from(d.mtimeSec(), java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    private static int depth(String path) {
        return path.isEmpty() ? 0 : (int) path.chars().filter(c -> c == '/').count() + 1;
    }

    static void setScratchMode(Path p, int mode) throws IOException {
        Files.setPosixFilePermissions(p, permissions(mode));
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }
}
