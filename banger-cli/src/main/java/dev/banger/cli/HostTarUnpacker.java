package dev.banger.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * {@code vm cp} out of a guest: unpacks the guest's tar under {@code root} as the user, never writing
 * outside it. Refused: absolute names, "..", a hardlink to anything this stream did not write, and writing
 * through a symlink (every parent inside root must be a real directory; an existing symlink at an entry's
 * place is replaced, never followed). Symlinks themselves are copied verbatim, wherever they point, as
 * cp -r does: they are never followed here. The top-level name may be renamed ({@code rename}), for a copy
 * under a new name. Modes lose setuid/setgid/sticky; mtimes are kept (directories' set last, after their
 * contents). Devices and fifos are skipped with a warning. Owners are the user's.
 */
final class HostTarUnpacker {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final Path root;
    private final String rename;
    private final PrintStream warnings;
    /** Directories written by this stream, with their mode and mtime, applied at the end (innermost last written first). */
    private final Map<Path, TarArchiveEntry> dirs = new LinkedHashMap<>();
    private final java.util.HashSet<Path> written = new java.util.HashSet<>();

    /** {@code root} must be an existing directory; {@code rename} null keeps the top-level name. */
    HostTarUnpacker(Path root, String rename, PrintStream warnings) {
        this.root = root.toAbsolutePath().normalize();
        this.rename = rename;
        this.warnings = warnings;
    }

    /** Unpacks every entry; returns the top-level paths written. Does not close {@code in}. */
    List<Path> unpack(InputStream in) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(in, "UTF-8");
        List<Path> tops = new ArrayList<>();
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            List<String> parts = parts(e.getName());
            if (parts.isEmpty()) continue;   // "./": the root itself, which exists
            if (rename != null) parts.set(0, rename);
            Path top = root.resolve(parts.getFirst());
            if (!tops.contains(top)) tops.add(top);
            extractOne(e, tar, parts);
        }
        List<Map.Entry<Path, TarArchiveEntry>> order = new ArrayList<>(dirs.entrySet());
        for (int i = order.size() - 1; i >= 0; i--) {
            Path d = order.get(i).getKey();
            TarArchiveEntry de = order.get(i).getValue();
            Files.setPosixFilePermissions(d, permissions(de.getMode()));
            Files.getFileAttributeView(d, BasicFileAttributeView.class, NOFOLLOW).setTimes(FileTime.from(de.getModTime().toInstant()), null, null);
        }
        return tops;
    }

    /** The entry's name as path components; absolute names and ".." are refused, "." dropped. */
    static List<String> parts(String name) throws UnsafeEntry {
        if (name == null || name.isEmpty()) throw new UnsafeEntry(String.valueOf(name), "empty name");
        if (name.startsWith("/")) throw new UnsafeEntry(name, "absolute path");
        List<String> parts = new ArrayList<>();
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) continue;
            if (p.equals("..")) throw new UnsafeEntry(name, "path contains '..'");
            if (p.indexOf('\0') >= 0) throw new UnsafeEntry(name, "NUL in name");
            parts.add(p);
        }
        return parts;
    }

    private void extractOne(TarArchiveEntry e, InputStream content, List<String> parts) throws IOException {
        String name = e.getName();
        Path target = inside(name, parts);
        checkParents(name, target);
        if (e.isDirectory()) {
            if (!Files.isDirectory(target, NOFOLLOW)) {
                removeExisting(target);
                Files.createDirectory(target);
            }
            // writable while we fill it; its own mode comes last
            Files.setPosixFilePermissions(target, permissions(e.getMode() | 0700));
            dirs.put(target, e);
        } else if (e.isSymbolicLink()) {
            removeExisting(target);
            Files.createSymbolicLink(target, Path.of(e.getLinkName()));
            Files.getFileAttributeView(target, BasicFileAttributeView.class, NOFOLLOW)
                    .setTimes(FileTime.from(e.getModTime().toInstant()), null, null);
        } else if (e.isLink()) {
            List<String> linkParts = parts(e.getLinkName());
            if (rename != null && !linkParts.isEmpty()) linkParts.set(0, rename);
            Path linked = inside(e.getLinkName(), linkParts);
            if (!written.contains(linked) || !Files.isRegularFile(linked, NOFOLLOW)) {
                throw new UnsafeEntry(name, "hardlink to " + e.getLinkName() + ", which this copy did not write");
            }
            removeExisting(target);
            Files.createLink(target, linked);
        } else if (e.isFile()) {
            removeExisting(target);
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, NOFOLLOW)) {
                content.transferTo(out);
            }
            Files.setPosixFilePermissions(target, permissions(e.getMode()));
            Files.setLastModifiedTime(target, FileTime.from(e.getModTime().toInstant()));
        } else {
            warnings.println("banger: skipping " + name + ": devices, fifos and sockets are not copied");
            return;
        }
        written.add(target);
    }

    private Path inside(String name, List<String> parts) throws UnsafeEntry {
        Path p = root;
        for (String part : parts) p = p.resolve(part);
        p = p.normalize();
        if (!p.startsWith(root) || p.equals(root)) throw new UnsafeEntry(name, "path escapes the destination");
        return p;
    }

    /** Every directory between root and target must be a real directory (made here if missing), never a symlink. */
    private void checkParents(String name, Path target) throws IOException {
        List<Path> chain = new ArrayList<>();
        for (Path p = target.getParent(); !p.equals(root); p = p.getParent()) chain.addFirst(p);
        for (Path p : chain) {
            if (Files.isSymbolicLink(p)) throw new UnsafeEntry(name, "path goes through the symlink " + root.relativize(p));
            if (Files.isDirectory(p, NOFOLLOW)) continue;
            if (Files.exists(p, NOFOLLOW)) throw new UnsafeEntry(name, root.relativize(p) + " is not a directory");
            Files.createDirectory(p);
        }
    }

    /** What is at target is replaced, a symlink included (removed, not followed); a non-empty directory is refused. */
    private static void removeExisting(Path target) throws IOException {
        if (Files.isDirectory(target, NOFOLLOW)) {
            try (var list = Files.list(target)) {
                if (list.findAny().isPresent()) throw new IOException("cannot replace the non-empty directory " + target);
            }
        }
        Files.deleteIfExists(target);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values();
        for (int i = 0; i < all.length; i++) {
            if ((mode & (1 << (8 - i))) != 0) set.add(all[i]);
        }
        return set;
    }

    /** A tar entry refused because unpacking it could write outside the destination. */
    static final class UnsafeEntry extends IOException {
        UnsafeEntry(String entry, String why) {
            super("refusing tar entry " + entry + ": " + why);
        }
    }
}
