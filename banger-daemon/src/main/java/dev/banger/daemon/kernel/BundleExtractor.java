package dev.banger.daemon.kernel;

import dev.banger.daemon.fs.Sha256;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import dev.banger.daemon.fetch.PipedBody;
import dev.banger.daemon.fs.PosixModes;
import dev.banger.daemon.fs.RelativePaths;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Unpacks a kernel bundle (zstd-compressed tar) into an empty directory. A bundle is a narrow format:
 * {@code vmlinux} (required, regular file), {@code initrd.img} (optional, regular file) and a
 * {@code modules/} tree. Within it only regular files, directories and relative symlinks that stay
 * inside the bundle are allowed; hardlinks, devices, fifos, absolute or escaping names, repeated
 * names and writes through a symlink are refused. Symlinks are never followed while writing.
 * Modes are sanitised: no setuid/setgid/sticky, no group/other write; the owner can always read
 * and write, so the tree can be read and deleted later.
 *
 * <p>The bundle is extracted before its checksum can be known (the caller hashes the stream as it
 * goes), so everything here assumes hostile input.
 */
final class BundleExtractor {
    static final String VMLINUX = "vmlinux";
    static final String INITRD = "initrd.img";
    static final String MODULES = "modules";
    static final long DEFAULT_MAX_BYTES = 16L << 30;
    static final int DEFAULT_MAX_ENTRIES = 500_000;
    static final int BUFFER = 256 << 10;
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final int MAX_LINK_HOPS = 40;

    private enum Kind { DIR, FILE, SYMLINK }

    private final Path root;
    private final long maxBytes;
    private final int maxEntries;
    /** Every path created so far (normalised, relative to root) and what it is. */
    private final Map<String, Kind> created = new HashMap<>();
    /** Symlink path to its (relative) target. */
    private final Map<String, String> links = new HashMap<>();
    private final byte[] buf = new byte[BUFFER];
    private final java.security.MessageDigest vmlinuxSha;
    private long bytes;
    private int entries;

    private BundleExtractor(Path root, long maxBytes, int maxEntries) {
        this.root = root;
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries;
        this.vmlinuxSha = Sha256.newDigest();
    }

    /** Decompresses and extracts into stagingDir, which must exist and be empty. Does not close the stream. */
    static void extract(InputStream zstdCompressedTar, Path stagingDir) throws IOException {
        extract(zstdCompressedTar, stagingDir, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES);
    }

    /** Like {@link #extract(InputStream, Path)}; returns the sha256 (hex) of vmlinux as written, saving a re-read. */
    static String extractHashingVmlinux(InputStream zstdCompressedTar, Path stagingDir) throws IOException {
        return extract(zstdCompressedTar, stagingDir, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES);
    }

    static String extract(InputStream zstdCompressedTar, Path stagingDir, long maxBytes, int maxEntries) throws IOException {
        if (!Files.isDirectory(stagingDir, NOFOLLOW)) {
            throw new IOException("bundle staging directory " + stagingDir + " does not exist");
        }
        try (var list = Files.list(stagingDir)) {
            if (list.findAny().isPresent()) {
                throw new IOException("bundle staging directory " + stagingDir + " is not empty");
            }
        }
        // Closing the decompressor frees its native memory but must leave the caller's stream open:
        // the caller still drains it so that the checksum covers every byte.
        // Decompression runs on its own thread, overlapping with the file writes here (as zstd and tar
        // do in a shell pipeline); the bytes arrive in 256 KiB chunks through a bounded queue.
        try (InputStream zstd = new ZstdInputStreamNoFinalizer(new NonClosing(zstdCompressedTar));
             InputStream tarBytes = new PipedBody(zstd, null, total -> { }, "bundle-zstd").start()) {
            BundleExtractor x = new BundleExtractor(stagingDir, maxBytes, maxEntries);
            x.run(tarBytes);
            return Sha256.hex(x.vmlinuxSha);
        }
    }

    private void run(InputStream tarBytes) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(tarBytes, "UTF-8");
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            if (++entries > maxEntries) {
                throw new BundleEntryException(e.getName(), "bundle has more than " + maxEntries + " entries");
            }
            extractOne(e, tar);
        }
        if (created.get(VMLINUX) != Kind.FILE) {
            throw new IOException("kernel bundle has no vmlinux at its top level");
        }
        // Checked once all links exist: a link that is harmless on its own can escape through a later one.
        for (String link : links.keySet()) {
            resolveInside(link, links.get(link));
        }
    }

    private void extractOne(TarArchiveEntry e, InputStream content) throws IOException {
        String name = e.getName();
        Kind kind = kindOf(e);
        String path = normalise(name);
        if (path.isEmpty()) {
            if (kind != Kind.DIR) {
                throw new BundleEntryException(name, "non-directory entry for the bundle root");
            }
            return;
        }
        checkLayout(name, path, kind);
        Kind existing = created.get(path);
        if (existing != null) {
            if (existing == Kind.DIR && kind == Kind.DIR) {
                return;
            }
            throw new BundleEntryException(name, "appears twice in the bundle");
        }
        ensureParents(name, path);
        Path target = resolve(name, path);
        switch (kind) {
            case DIR -> {
                Files.createDirectory(target);
                Files.setPosixFilePermissions(target, PosixModes.permissions(0700));
            }
            case FILE -> {
                if (e.getSize() < 0) {
                    throw new BundleEntryException(name, "negative size");
                }
                // CREATE_NEW refuses an existing name, symlinks included; NOFOLLOW for good measure.
                try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, NOFOLLOW)) {
                    copy(name, content, out, path.equals(VMLINUX) ? vmlinuxSha : null);
                }
                Files.setPosixFilePermissions(target, PosixModes.permissions((e.getMode() & 0100) | 0600));
            }
            case SYMLINK -> {
                String linkTarget = e.getLinkName();
                checkSymlinkTarget(name, path, linkTarget);
                Files.createSymbolicLink(target, Path.of(linkTarget));
                links.put(path, linkTarget);
            }
        }
        created.put(path, kind);
    }

    private void copy(String name, InputStream in, OutputStream out, java.security.MessageDigest sha) throws IOException {
        for (int n; (n = in.read(buf)) > 0; ) {
            if (sha != null) {
                sha.update(buf, 0, n);
            }
            bytes += n;
            if (bytes > maxBytes) {
                throw new BundleEntryException(name, "bundle unpacks to more than " + (maxBytes >> 20) + " MiB");
            }
            out.write(buf, 0, n);
        }
    }

    private static Kind kindOf(TarArchiveEntry e) throws BundleEntryException {
        String name = e.getName();
        if (e.isSymbolicLink()) {
            return Kind.SYMLINK;
        }
        if (e.isLink()) {
            throw new BundleEntryException(name, "hardlinks are not allowed in a kernel bundle");
        }
        if (e.isCharacterDevice()) {
            throw new BundleEntryException(name, "character devices are not allowed in a kernel bundle");
        }
        if (e.isBlockDevice()) {
            throw new BundleEntryException(name, "block devices are not allowed in a kernel bundle");
        }
        if (e.isFIFO()) {
            throw new BundleEntryException(name, "fifos are not allowed in a kernel bundle");
        }
        if (e.isDirectory()) {
            return Kind.DIR;
        }
        byte flag = e.getLinkFlag();
        if (flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM || flag == TarConstants.LF_CONTIG) {
            return Kind.FILE;
        }
        throw new BundleEntryException(name, "unsupported tar entry type '" + (char) flag + "'");
    }

    /** Drops a leading "./" and "." components; refuses absolute names, "..", and control characters. */
    static String normalise(String name) throws BundleEntryException {
        if (name == null || name.isEmpty()) {
            throw new BundleEntryException(String.valueOf(name), "empty name");
        }
        checkChars(name, name);
        if (name.startsWith("/")) {
            throw new BundleEntryException(name, "absolute path");
        }
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new BundleEntryException(name, "path contains '..' (would escape the bundle)");
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }

    private static void checkChars(String entry, String s) throws BundleEntryException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                throw new BundleEntryException(entry, String.format("control character 0x%02x in name", (int) c));
            }
            if (c == '\uFFFD') {
                throw new BundleEntryException(entry, "name is not valid UTF-8");
            }
        }
    }

    private static void checkLayout(String name, String path, Kind kind) throws BundleEntryException {
        int slash = path.indexOf('/');
        String top = slash < 0 ? path : path.substring(0, slash);
        switch (top) {
            case VMLINUX, INITRD -> {
                if (slash >= 0 || kind != Kind.FILE) {
                    throw new BundleEntryException(name, top + " must be a regular file at the top of the bundle");
                }
            }
            case MODULES -> {
                if (slash < 0 && kind != Kind.DIR) {
                    throw new BundleEntryException(name, "modules must be a directory");
                }
            }
            default -> throw new BundleEntryException(name,
                    "unexpected top-level name '" + top + "' (a kernel bundle holds only vmlinux, initrd.img and modules/)");
        }
    }

    /** Creates parents the tar did not list and refuses to go through anything but directories we made. */
    private void ensureParents(String name, String path) throws IOException {
        for (String parent : RelativePaths.parents(path)) {
            Kind k = created.get(parent);
            Path p = resolve(name, parent);
            if (k == Kind.SYMLINK || Files.isSymbolicLink(p)) {
                throw new BundleEntryException(name, "path goes through the symlink '" + parent + "'");
            }
            if (k == Kind.DIR && Files.isDirectory(p, NOFOLLOW)) {
                continue;
            }
            if (k != null || Files.exists(p, NOFOLLOW)) {
                throw new BundleEntryException(name, "parent '" + parent + "' is not a directory");
            }
            Files.createDirectory(p);
            Files.setPosixFilePermissions(p, PosixModes.permissions(0700));
            created.put(parent, Kind.DIR);
        }
    }

    private void checkSymlinkTarget(String name, String path, String target) throws BundleEntryException {
        if (target == null || target.isEmpty()) {
            throw new BundleEntryException(name, "symlink without a target");
        }
        checkChars(name, target);
        if (target.startsWith("/")) {
            throw new BundleEntryException(name, "absolute symlink target '" + target + "'");
        }
        resolveInside(path, target);
    }

    /**
     * Resolves a link's target the way the kernel would, expanding the bundle's own symlinks on the
     * way, and refuses it if any step climbs above the bundle root. Names not (yet) in the bundle
     * are taken as plain names: a dangling link is harmless as long as it cannot point outside.
     */
    private void resolveInside(String linkPath, String target) throws BundleEntryException {
        List<String> cur = new ArrayList<>(List.of(linkPath.split("/")));
        cur.removeLast();
        Deque<String> todo = new ArrayDeque<>(List.of(target.split("/")));
        int hops = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (cur.isEmpty()) {
                    throw new BundleEntryException(linkPath, "symlink target '" + target + "' points outside the bundle");
                }
                cur.removeLast();
                continue;
            }
            cur.add(c);
            String via = links.get(String.join("/", cur));
            if (via != null) {
                if (++hops > MAX_LINK_HOPS) {
                    throw new BundleEntryException(linkPath, "symlink target '" + target + "' loops");
                }
                cur.removeLast();
                List<String> expanded = List.of(via.split("/"));
                for (int i = expanded.size() - 1; i >= 0; i--) {
                    todo.addFirst(expanded.get(i));
                }
            }
        }
    }

    private Path resolve(String name, String path) throws BundleEntryException {
        try {
            Path p = root.resolve(path).normalize();
            if (!p.startsWith(root) || p.equals(root)) {
                throw new BundleEntryException(name, "path escapes the bundle");
            }
            return p;
        } catch (InvalidPathException e) {
            throw new BundleEntryException(name, "name not representable on this host (" + e.getReason() + ")");
        }
    }

    /** Lets the decompressor be closed without closing the caller's stream. */
    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
        }
    }
}
