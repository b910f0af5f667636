package dev.banger.daemon.image.build;

import dev.banger.daemon.image.oci.OciLayoutFixture;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The reference side of the flattening acceptance tests: a rich multi-layer image
 * ({@link #richLayers}), {@code umoci unpack} of it (as root, so owners and device nodes survive),
 * a reader of every entry of an ext4 image (debugfs), and an entry-by-entry {@link #diff}.
 * Used by {@link LayersVsUmociTest} (layout to ext4) and by the daemon's pull acceptance test
 * (registry to published image).
 */
public final class UmociComparison {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private UmociComparison() { }

    /** Skips the calling test unless it runs as root with umoci installed. */
    public static void assumeRootAndUmoci() throws Exception {
        assumeTrue(isRoot(), "umoci keeps owners and makes device nodes only as root");
        assumeTrue(run(List.of("umoci", "--version")).exit() == 0, "umoci not installed");
    }

    private static boolean isRoot() throws IOException {
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }

    /**
     * The rich three-layer image, bottom first: gzip, then zstd (gzip for umoci, which cannot read
     * zstd), then plain. Whiteouts (incl. one of a hardlink source and one of nothing), opaque
     * directories (marker before and after entries of the same layer), hardlinks across layers,
     * symlinks (relative, absolute, too long for the inode), setuid/setgid/sticky, char devices,
     * non-root owners, a file that becomes a directory and back. Without {@code withAllWhiteouts}
     * the whiteout of {@code /etc/remove-me} is left out (to prove the comparison catches it).
     */
    public static List<OciLayoutFixture.Layer> richLayers(boolean withAllWhiteouts) throws IOException {
        TarBuilder base = new TarBuilder()
                .dir("./", 0751, 0, 0)
                .dir("bin", 0755, 0, 0)
                .file("bin/sh", 0755, 0, 0, "#!/bin/sh-ish\n", 1_111_111_111L)
                .symlink("bin/sh-link", "sh", 0, 0)
                .symlink("bin/abs-link", "/usr/bin/passwd", 1000, 1001)
                .symlink("bin/long-link", "../usr/share/a/deliberately/long/target/that/does/not/fit/inline/in/the/inode", 0, 0)
                .dir("etc", 0755, 0, 0)
                .file("etc/hosts", 0644, 0, 0, "127.0.0.1 localhost\n", 1_200_000_000L)
                .file("etc/shadow", 0640, 0, 42, "root:*:1::::::\n")
                .file("etc/remove-me", 0644, 0, 0, "bye\n")
                .dir("etc/lower-dir", 0755, 0, 0)
                .file("etc/lower-dir/x", 0644, 0, 0, "x")
                .dir("etc/lower-dir/y", 0700, 1000, 1001)
                .file("etc/hl-a", 0644, 0, 0, "hardlinked across a whiteout\n")
                .hardlink("etc/hl-b", "etc/hl-a")
                .dir("usr", 0755, 0, 0)
                .dir("usr/bin", 0755, 0, 0)
                .file("usr/bin/passwd", 04755, 0, 0, "setuid binary\n", 1_300_000_000L)
                .file("usr/bin/wall", 02755, 0, 5, "setgid binary\n")
                .hardlink("usr/bin/passwd-hl", "usr/bin/passwd")
                .dir("home", 0755, 0, 0)
                .dir("home/alice", 0750, 1000, 1001)
                .file("home/alice/notes.txt", 0640, 1000, 1001, "alice's notes\n", 1_400_000_000L)
                .file("home/alice/run.sh", 0700, 1000, 1001, "#!/bin/sh\necho hi\n")
                .dir("opt", 0755, 0, 0)
                .dir("opt/app", 0755, 0, 0)
                .file("opt/app/old.conf", 0644, 0, 0, "old\n")
                .dir("opt/app/plugins", 0755, 0, 0)
                .file("opt/app/plugins/p1", 0644, 0, 0, "p1\n")
                .dir("var", 0755, 0, 0)
                .dir("var/cache", 0755, 0, 0)
                .file("var/cache/stale", 0644, 0, 0, "stale\n")
                .dir("var/lib", 0755, 0, 0)
                .file("var/lib/db", 0600, 1000, 1001, "file that becomes a dir\n")
                .dir("srv", 0755, 0, 0)
                .dir("srv/data", 0755, 0, 0)
                .file("srv/data/f", 0644, 0, 0, "dir that becomes a file\n")
                .dir("dev", 0755, 0, 0)
                .node("dev/null", TarConstants.LF_CHR, 0666, 0, 0, 1, 3)
                .node("dev/tty0", TarConstants.LF_CHR, 0620, 0, 5, 4, 0)
                .dir("tmp", 01777, 0, 0);
        TarBuilder middle = new TarBuilder()
                .dir("etc", 0755, 0, 0);
        if (withAllWhiteouts) {
            middle.file("etc/.wh.remove-me", 0644, 0, 0, "");
        }
        middle.file("etc/.wh.lower-dir", 0644, 0, 0, "")
                .file("etc/.wh.hl-a", 0644, 0, 0, "")
                .file("etc/.wh.never-was", 0644, 0, 0, "")
                .file("etc/hosts", 0600, 0, 0, "10.0.0.1 banger\n", 1_250_000_000L)
                .dir("opt/app", 0711, 1000, 1001)
                .file("opt/app/.wh..wh..opq", 0644, 0, 0, "")
                .file("opt/app/new.conf", 0640, 1000, 1001, "new\n")
                .dir("var/lib/db", 0700, 1000, 1001)
                .file("var/lib/db/data", 0600, 1000, 1001, "now a directory\n")
                .file("srv/data", 0444, 0, 0, "now a file\n")
                .file("usr/bin/sudo", 06755, 0, 0, "setuid+setgid\n");
        TarBuilder top = new TarBuilder()
                .dir("var/cache", 0755, 0, 0)
                .file("var/cache/fresh", 0644, 0, 0, "fresh\n")            // same layer, before the marker
                .file("var/cache/.wh..wh..opq", 0644, 0, 0, "")
                .file("var/cache/fresher", 0644, 2000, 2000, "fresher\n")  // and after it
                .hardlink("usr/bin/passwd-hl2", "usr/bin/passwd")
                .hardlink("etc/hl-c", "etc/hl-b")
                .file("home/alice/run.sh", 0755, 1000, 1001, "#!/bin/sh\necho bye\n", 1_500_000_001L);
        return List.of(new OciLayoutFixture.Layer(base.bytes(), Compression.GZIP),
                new OciLayoutFixture.Layer(middle.bytes(), Compression.ZSTD),
                new OciLayoutFixture.Layer(top.bytes(), Compression.NONE));
    }


    /** The fixture really covers what it claims to: checks a reference tree of {@link #richLayers}(true). */
    public static void assertCoversRichFixture(Map<String, Entry> umoci) {
        assertThat(umoci).containsKeys("/dev/null", "/usr/bin/sudo", "/opt/app/new.conf", "/var/cache/fresh",
                "/var/cache/fresher", "/var/lib/db/data", "/bin/long-link")
                .doesNotContainKeys("/etc/remove-me", "/etc/lower-dir", "/etc/hl-a", "/opt/app/old.conf",
                        "/opt/app/plugins", "/var/cache/stale", "/srv/data/f");
        assertThat(umoci.get("/dev/null").type()).isEqualTo("char");
        assertThat(umoci.get("/usr/bin/sudo").mode()).isEqualTo(06755);
        assertThat(umoci.get("/home/alice/notes.txt").uid()).isEqualTo(1000);
        assertThat(umoci.get("/home/alice/notes.txt").gid()).isEqualTo(1001);
        assertThat(hardlinkGroups(umoci)).contains(Set.of("/usr/bin/passwd", "/usr/bin/passwd-hl", "/usr/bin/passwd-hl2"),
                Set.of("/etc/hl-b", "/etc/hl-c"));
    }

    /**
     * {@code umoci unpack} of {@code layers} written as a single-platform OCI layout under
     * {@code tmp}, every zstd layer stored as gzip instead (umoci 0.4.7 reads no zstd): the
     * reference root filesystem, read back entry by entry.
     */
    public static Map<String, Entry> umociRootfs(List<OciLayoutFixture.Layer> layers, Path tmp) throws Exception {
        Path layout = tmp.resolve("umoci-layout-" + System.nanoTime());
        OciLayoutFixture.Written w = OciLayoutFixture.write(layout, "test", OciLayoutFixture.recompressed(layers),
                OciLayoutFixture.Config.none());
        Path bundle = tmp.resolve("bundle-" + System.nanoTime());
        Result r = run(List.of("umoci", "unpack", "--image", w.ref(), bundle.toString()));
        assertThat(r.exit()).as("umoci unpack: " + r.output()).isZero();
        return hostTree(bundle.resolve("rootfs"));
    }

    /**
     * @param type  dir, file, symlink, char, block, fifo
     * @param mode  permission bits incl. setuid/setgid/sticky
     * @param size  content bytes for files, target length for symlinks, else 0
     * @param inode identity within its own tree, for hardlink grouping
     */
    public record Entry(String type, int mode, long uid, long gid, long size, String target, String sha256,
                 int major, int minor, long mtime, long inode) { }

    public static Map<String, Entry> hostTree(Path rootfs) throws IOException {
        Map<String, Entry> tree = new TreeMap<>();
        Files.walkFileTree(rootfs, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                add(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                add(file);
                return FileVisitResult.CONTINUE;
            }

            private void add(Path p) throws IOException {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,ino,rdev,lastModifiedTime", NOFOLLOW);
                int mode = (Integer) a.get("mode");
                String type = typeOf(mode);
                long rdev = (Long) a.get("rdev");
                boolean dev = type.equals("char") || type.equals("block");
                String rel = "/" + rootfs.relativize(p).toString().replace('\\', '/');
                tree.put(rel.equals("/") ? "/" : rel, new Entry(type, mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"),
                        type.equals("file") || type.equals("symlink") ? (Long) a.get("size") : 0,
                        type.equals("symlink") ? Files.readSymbolicLink(p).toString() : null,
                        type.equals("file") ? sha256(Files.readAllBytes(p)) : null,
                        dev ? (int) (((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffL)) : -1,
                        dev ? (int) ((rdev & 0xff) | ((rdev >> 12) & ~0xffL)) : -1,
                        ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.SECONDS),
                        (Long) a.get("ino")));
            }
        });
        return tree;
    }

    /** Reads every entry of the image with debugfs: ls -p for metadata, stat for devices and times, rdump for content. */
    public static Map<String, Entry> ext4Tree(Path image, Path tmp) throws Exception {
        record Listed(long inode, int mode, long uid, long gid, long size) { }
        Map<String, Listed> listed = new TreeMap<>();
        listed.put("/", null);
        List<String> level = List.of("/");
        while (!level.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (String dir : level) {
                for (String line : Debugfs.run(List.of("debugfs", "-R", "ls -p \"" + dir + "\"", image.toString())).lines().toList()) {
                    String[] f = line.split("/", -1);   // /inode/mode/uid/gid/name/size/
                    if (f.length < 7 || !f[0].isEmpty() || f[5].equals(".") || f[5].equals("..")) {
                        continue;
                    }
                    String path = (dir.equals("/") ? "" : dir) + "/" + f[5];
                    if (path.equals("/lost+found")) {
                        continue;   // mkfs.ext4's, not the image's
                    }
                    Listed l = new Listed(Long.parseLong(f[1]), Integer.parseInt(f[2], 8), Long.parseLong(f[3]),
                            Long.parseLong(f[4]), f[6].isEmpty() ? 0 : Long.parseLong(f[6]));
                    listed.put(path, l);
                    if (typeOf(l.mode()).equals("dir")) {
                        next.add(path);
                    }
                }
            }
            level = next;
        }
        Map<String, Debugfs.Stat> stats = Debugfs.statAll(image, new ArrayList<>(listed.keySet()), tmp);
        Path dump = Files.createDirectory(tmp.resolve("rdump-" + System.nanoTime()));
        Result r = run(List.of("debugfs", "-R", "rdump / " + dump, image.toString()));
        assertThat(r.exit()).isZero();
        Map<String, Entry> tree = new TreeMap<>();
        for (Map.Entry<String, Listed> e : listed.entrySet()) {
            String path = e.getKey();
            Debugfs.Stat st = stats.get(path);
            assertThat(st).as("stat " + path).isNotNull();
            int mode = e.getValue() == null ? 040000 | st.mode() : e.getValue().mode();
            String type = typeOf(mode);
            // rdump writes content and symlinks (not device nodes, not hardlink identity, not setuid bits).
            Path dumped = path.equals("/") ? dump : dump.resolve(path.substring(1));
            String target = type.equals("symlink") ? Files.readSymbolicLink(dumped).toString() : null;
            String sha = type.equals("file") ? sha256(Files.readAllBytes(dumped)) : null;
            boolean dev = type.equals("char") || type.equals("block");
            tree.put(path, new Entry(type, mode & 07777, st.uid(), st.gid(),
                    type.equals("file") || type.equals("symlink") ? st.size() : 0, target, sha,
                    dev ? st.devMajor() : -1, dev ? st.devMinor() : -1, st.mtime(),
                    e.getValue() == null ? 2 : e.getValue().inode()));
        }
        return tree;
    }

    // ---- comparison ----

    /** Human-readable differences, one per entry and field; empty when the trees agree. */
    public static List<String> diff(Map<String, Entry> expected, Map<String, Entry> actual) {
        List<String> out = new ArrayList<>();
        Set<String> all = new TreeSet<>(expected.keySet());
        all.addAll(actual.keySet());
        for (String p : all) {
            Entry e = expected.get(p);
            Entry a = actual.get(p);
            if (e == null) {
                out.add(p + ": only in ext4");
                continue;
            }
            if (a == null) {
                out.add(p + ": missing from ext4");
                continue;
            }
            field(out, p, "type", e.type(), a.type());
            field(out, p, "mode", Integer.toOctalString(e.mode()), Integer.toOctalString(a.mode()));
            field(out, p, "uid", e.uid(), a.uid());
            field(out, p, "gid", e.gid(), a.gid());
            field(out, p, "size", e.size(), a.size());
            field(out, p, "symlink target", e.target(), a.target());
            field(out, p, "sha256", e.sha256(), a.sha256());
            field(out, p, "device", e.major() + ":" + e.minor(), a.major() + ":" + a.minor());
            field(out, p, "mtime", e.mtime(), a.mtime());
        }
        return out;
    }

    private static void field(List<String> out, String path, String name, Object expected, Object actual) {
        if (!java.util.Objects.equals(expected, actual)) {
            out.add(path + ": " + name + " umoci=" + expected + " ext4=" + actual);
        }
    }

    /** Paths sharing an inode, for every inode with more than one name. */
    public static Set<Set<String>> hardlinkGroups(Map<String, Entry> tree) {
        return tree.entrySet().stream().filter(e -> e.getValue().type().equals("file"))
                .collect(Collectors.groupingBy(e -> e.getValue().inode(), Collectors.mapping(Map.Entry::getKey, Collectors.toSet())))
                .values().stream().filter(s -> s.size() > 1).collect(Collectors.toCollection(HashSet::new));
    }

    private static String typeOf(int mode) {
        return switch (mode & 0170000) {
            case 0040000 -> "dir";
            case 0100000 -> "file";
            case 0120000 -> "symlink";
            case 0020000 -> "char";
            case 0060000 -> "block";
            case 0010000 -> "fifo";
            default -> "unknown " + Integer.toOctalString(mode);
        };
    }

    private static String sha256(byte[] data) {
        return dev.banger.daemon.fs.Sha256.of(data);
    }


    public record Result(int exit, String output) { }

    public static Result run(List<String> cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Result(127, e.getMessage());
        }
        try (InputStream in = p.getInputStream()) {
            String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new IOException("timeout: " + cmd);
            }
            return new Result(p.exitValue(), out);
        } finally {
            p.destroyForcibly();
        }
    }
}
