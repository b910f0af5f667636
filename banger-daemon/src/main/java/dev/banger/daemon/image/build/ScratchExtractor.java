package dev.banger.daemon.image.build;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.PosixModes;
import dev.banger.daemon.fs.RelativePaths;
import dev.banger.core.ProgressSink;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Unpacks a tar stream into a directory without privileges and without ever following a symlink.
 *
 * <p>Ownership is not applied (we may not be root) and neither are setuid/setgid/sticky bits (the
 * JDK cannot set them); both live in the returned records and debugfs applies them later. Device
 * nodes and fifos are only recorded. Scratch copies always keep owner rwx on directories and rw on
 * files so mkfs.ext4 can read them and cleanup can delete them; debugfs restores the real mode.
 *
 * <p>One instance reads either a single tar ({@link #extract}) or the layers of an OCI image, bottom
 * first, into the same tree ({@link #extractLayer} per layer, then {@link #finish}). In layer mode
 * names starting with {@code .wh.} are whiteouts and never reach the tree: {@code DIR/.wh.NAME}
 * removes NAME (a whole subtree for a directory) as lower layers left it, {@code DIR/.wh..wh..opq}
 * removes everything lower layers put under DIR. Following the OCI spec, a whiteout never hides what
 * its own layer adds, wherever in the tar the whiteout sits relative to those entries.
 */
final class ScratchExtractor {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final int PROGRESS_EVERY = 5000;

    private final Path root;
    private final ProgressSink progress;
    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE_MARKER = ".wh..wh..opq";

    static final String XATTR_PAX_PREFIX = "SCHILY.xattr.";

    private final Map<String, EntryRecord> records = new LinkedHashMap<>();
    private final Map<String, Map<String, byte[]>> xattrs = new HashMap<>();
    /** Layer mode: every path the current layer created or passed through (entries and their ancestors). */
    private final Set<String> layerPaths = new HashSet<>();
    private boolean layered;
    /** Whether any hardlink was recorded: removing a file only looks for peers to promote then. */
    private boolean anyHardlinks;
    private int read;
    private final ExtractionLimits limits;
    /** Content bytes of every file entry read so far, replaced or not: what unpacking cost. */
    private long contentRead;

    ScratchExtractor(Path root, ProgressSink progress) {
        this(root, progress, ExtractionLimits.DEFAULT);
    }

    ScratchExtractor(Path root, ProgressSink progress, ExtractionLimits limits) {
        this.root = root;
        this.progress = progress;
        this.limits = limits;
        records.put("", EntryRecord.implicitDir("", 0));
    }

    /** A single tar: names are taken literally (a {@code .wh.} file is just a file). */
    ExtractedTree extract(InputStream tar) throws IOException {
        layered = false;
        readTar(tar);
        return finish();
    }

    /**
     * One layer of an image, applied on top of what earlier calls extracted. Does not close
     * {@code tar}. Call {@link #finish} after the last layer.
     */
    void extractLayer(InputStream tar) throws IOException {
        layered = true;
        layerPaths.clear();
        layerPaths.add("");
        readTar(tar);
    }

    /** Sets directory times and returns the tree with a record for every path in it. */
    ExtractedTree finish() throws IOException {
        applyDirectoryTimes();
        return new ExtractedTree(root, List.copyOf(records.values()), read, Map.copyOf(xattrs));
    }

    private void readTar(InputStream tar) throws IOException {
        // UTF-8 explicitly: the platform default must not decide what a file is called in the guest.
        TarArchiveInputStream in = new TarArchiveInputStream(tar, "UTF-8");
        TarArchiveEntry entry;
        while ((entry = in.getNextEntry()) != null) {
            read++;
            limits.checkEntries(read);
            if (entry.isFile()) {
                contentRead += Math.max(0, entry.getSize());
                limits.checkContent(contentRead);   // before a byte of it is written
            }
            extractOne(entry, in);
            if (read % PROGRESS_EVERY == 0) {
                progress.report("build_ext4", "extracted " + read + " entries");
            }
        }
    }

    private void extractOne(TarArchiveEntry entry, InputStream content) throws IOException {
        String name = entry.getName();
        String path = EntryNames.normalise(name, name);
        if (layered) {
            if (EntryNames.baseName(path).startsWith(WHITEOUT_PREFIX)) {
                whiteout(name, path);
                return;
            }
            if (path.startsWith(WHITEOUT_PREFIX) || path.contains("/" + WHITEOUT_PREFIX)) {
                throw new UnsafeEntryException(name, "path goes through a whiteout name");
            }
            markLayer(path);
        }
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
            hardlinkTarget(name, entry.getLinkName());   // refuse before touching anything
        } else if (kind == EntryKind.SYMLINK) {
            linkTarget = entry.getLinkName();
            if (linkTarget == null || linkTarget.isEmpty() || linkTarget.indexOf('\0') >= 0) {
                throw new UnsafeEntryException(name, "empty or invalid symlink target");
            }
        }
        boolean existingDir = Files.isDirectory(target, NOFOLLOW);
        if (!(kind == EntryKind.DIR && existingDir)) {
            removeExisting(path, target);
        }
        if (kind == EntryKind.HARDLINK) {
            // Again: replacing path may have removed the target or promoted a peer in its place.
            linkTarget = hardlinkTarget(name, entry.getLinkName());
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
        anyHardlinks |= kind == EntryKind.HARDLINK;
        xattrs.remove(path);
        if (kind != EntryKind.HARDLINK) {   // a hardlink's inode has its target's xattrs
            Map<String, byte[]> x = xattrsOf(name, entry);
            if (!x.isEmpty()) {
                xattrs.put(path, x);
            }
        }
    }

    /**
     * The PAX {@code SCHILY.xattr.*} attributes we carry into the image: {@code security.capability},
     * {@code user.*} and {@code trusted.*}. commons-compress decodes PAX values as UTF-8, so a value
     * that was not valid UTF-8 (a capability mask with a byte >= 0x80, say) arrives with U+FFFD in
     * place of its bytes; such a value is reported and left out rather than written wrong.
     */
    private Map<String, byte[]> xattrsOf(String name, TarArchiveEntry entry) throws UnsafeEntryException {
        Map<String, byte[]> out = new TreeMap<>();
        for (Map.Entry<String, String> h : entry.getExtraPaxHeaders().entrySet()) {
            if (!h.getKey().startsWith(XATTR_PAX_PREFIX)) {
                continue;
            }
            String attr = h.getKey().substring(XATTR_PAX_PREFIX.length());
            if (!attr.equals("security.capability") && !attr.startsWith("user.") && !attr.startsWith("trusted.")) {
                continue;
            }
            try {
                EntryNames.checkEncodable(name, attr);
            } catch (UnsafeEntryException e) {
                throw new UnsafeEntryException(name, "xattr name: " + e.reason());
            }
            if (attr.getBytes(StandardCharsets.UTF_8).length > EntryNames.MAX_COMPONENT_BYTES) {
                throw new UnsafeEntryException(name, "xattr name longer than 255 bytes");
            }
            String value = h.getValue();
            if (value.indexOf('\uFFFD') >= 0) {
                progress.report("build_ext4", "xattr " + attr + " of " + EntryNames.normalise(name, name)
                        + " left out: its value is not valid UTF-8, which the tar reader cannot pass through");
                continue;
            }
            out.put(attr, value.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    private void markLayer(String path) {
        for (String p = path; !p.isEmpty() && layerPaths.add(p); p = EntryNames.parentOf(p)) {
            // ancestors up to the first one already marked
        }
    }

    private void whiteout(String name, String path) throws IOException {
        String dir = EntryNames.parentOf(path);
        String base = EntryNames.baseName(path);
        String victim = base.substring(WHITEOUT_PREFIX.length());
        boolean opaque = base.equals(OPAQUE_MARKER);
        if (!opaque && (victim.isEmpty() || victim.equals(".") || victim.equals(".."))) {
            throw new UnsafeEntryException(name, "whiteout names no entry of its directory");
        }
        if (!isRealDirectory(name, dir)) {
            return;   // nothing below a missing directory (or a non-directory) to remove
        }
        if (opaque) {
            for (String child : childrenOf(dir)) {
                removeLower(child);
            }
        } else {
            removeLower(dir.isEmpty() ? victim : dir + "/" + victim);
        }
    }

    /** True if every component of dir is a real directory; refuses to look through a symlink. */
    private boolean isRealDirectory(String name, String dir) throws IOException {
        for (String prefix : RelativePaths.prefixes(dir)) {
            Path p = resolve(name, prefix);
            if (Files.isSymbolicLink(p)) {
                throw new UnsafeEntryException(name, "path traverses the symlink '" + prefix + "'");
            }
            if (!Files.isDirectory(p, NOFOLLOW)) {
                return false;
            }
        }
        return true;
    }

    /** Removes path as the lower layers left it: all of it, unless the current layer touched it. */
    private void removeLower(String path) throws IOException {
        EntryRecord r = records.get(path);
        if (r == null) {
            return;
        }
        if (!layerPaths.contains(path)) {
            removeSubtree(path, path.isEmpty() ? root : root.resolve(path));
            return;
        }
        if (r.kind() == EntryKind.DIR) {
            for (String child : childrenOf(path)) {
                removeLower(child);
            }
        }
    }

    private List<String> childrenOf(String dir) {
        String prefix = dir.isEmpty() ? "" : dir + "/";
        List<String> children = new ArrayList<>();
        for (String k : records.keySet()) {
            if (!k.isEmpty() && k.startsWith(prefix) && k.indexOf('/', prefix.length()) < 0) {
                children.add(k);
            }
        }
        return children;
    }

    private void removeSubtree(String path, Path target) throws IOException {
        EntryRecord existing = records.get(path);
        // Most entries name a new path: without this early return every entry scanned every record,
        // which made flattening quadratic (92% of a 20 000-entry image's extraction time).
        if (existing == null && !Files.exists(target, NOFOLLOW)) {
            return;
        }
        if (Files.isDirectory(target, NOFOLLOW)) {
            FileTrees.deleteRecursively(target);
        } else {
            Files.deleteIfExists(target);
        }
        List<EntryRecord> gone = new ArrayList<>();
        if (existing != null && existing.kind() != EntryKind.DIR) {
            records.remove(path);   // nothing lives under a non-directory
            gone.add(existing);
        } else {
            String prefix = path + "/";
            records.values().removeIf(r -> {
                boolean in = r.path().equals(path) || r.path().startsWith(prefix);
                if (in) {
                    gone.add(r);
                }
                return in;
            });
        }
        for (EntryRecord r : gone) {
            Map<String, byte[]> x = xattrs.remove(r.path());
            if (r.kind() == EntryKind.FILE) {
                String heir = promotePeer(r);
                if (heir != null && x != null) {
                    xattrs.put(heir, x);
                }
            }
        }
    }

    /**
     * A removed file's content lives on in its hardlink peers: the first surviving peer becomes the
     * file the others (and any later hardlink) point at, and carries the size for the sizing plan.
     */
    private String promotePeer(EntryRecord removed) {
        if (!anyHardlinks) {
            return null;
        }
        EntryRecord heir = null;
        for (Map.Entry<String, EntryRecord> e : records.entrySet()) {
            EntryRecord r = e.getValue();
            if (r.kind() != EntryKind.HARDLINK || !removed.path().equals(r.linkTarget())) {
                continue;
            }
            if (heir == null) {
                heir = new EntryRecord(r.path(), EntryKind.FILE, r.mode(), r.uid(), r.gid(), r.mtimeSec(), null, 0, 0, removed.size());
                e.setValue(heir);
            } else {
                e.setValue(new EntryRecord(r.path(), EntryKind.HARDLINK, r.mode(), r.uid(), r.gid(), r.mtimeSec(), heir.path(), 0, 0, 0));
            }
        }
        return heir == null ? null : heir.path();
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
        for (String parent : RelativePaths.parents(path)) {
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
    // Unlink rather than overwrite so that a hardlinked peer keeps its old content, as GNU tar does.
    private void removeExisting(String path, Path target) throws IOException {
        removeSubtree(path, target);
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
        Files.setPosixFilePermissions(p, PosixModes.permissions(mode));
    }

}
