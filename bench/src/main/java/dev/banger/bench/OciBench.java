package dev.banger.bench;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.image.build.Ext4Result;
import dev.banger.daemon.image.build.LayersToExt4;
import dev.banger.daemon.image.oci.BlobCache;
import dev.banger.daemon.image.oci.DockerCredentials;
import dev.banger.daemon.image.oci.ImageReference;
import dev.banger.daemon.image.oci.OciLayoutFixture;
import dev.banger.daemon.image.oci.PulledImage;
import dev.banger.daemon.image.oci.RegistryClient;
import dev.banger.daemon.image.oci.TestRegistry;
import dev.banger.daemon.fetch.HttpClients;
import dev.banger.daemon.fs.PosixModes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * OCI image pull to a bootable ext4: banger's in-process path (RegistryClient into a fresh
 * BlobCache, then LayersToExt4: hardened layer extraction with whiteouts, mkfs.ext4 -d, one
 * debugfs pass, e2fsck -fn) against {@code skopeo copy} + {@code umoci unpack} + {@code mkfs.ext4 -d}
 * of the same image from the same local registry, alternating rounds after one warm-up of each.
 *
 * <p>The image is built from the host: layer 1 from /usr/lib/x86_64-linux-gnu, layer 2 from
 * /usr/share (doc, man, locale, zoneinfo, perl), each directory capped so the image is ~200 MB
 * uncompressed on a full Debian 12 host (less on a small one), and a small layer 3 with a new file, a replaced file, a whiteout and an opaque dir.
 */
final class OciBench {
    private static final long MB = 1_000_000;
    /** Files bigger than this are left out, so one huge library cannot fill a layer alone. */
    private static final long MAX_FILE = 16 * MB;
    private static final String REPO_TAG = "bench/img:1";

    private OciBench() { }

    /** Phase timings of one round, in ms. */
    private record Round(double total, double a, double b, double c, double d) { }

    static String run(Path work, int rounds) throws Exception {
        FileTrees.deleteRecursively(work);
        Files.createDirectories(work);
        try {
            return measure(work, rounds);
        } finally {
            FileTrees.deleteRecursively(work);
        }
    }

    private static String measure(Path work, int rounds) throws Exception {
        System.out.println("oci: building the benchmark image from host files…");
        List<Layer> built = new ArrayList<>();
        built.add(layer(List.of(new Root("/usr/lib/x86_64-linux-gnu", 130 * MB))));
        built.add(layer(List.of(new Root("/usr/share/doc", 25 * MB), new Root("/usr/share/man", 15 * MB),
                new Root("/usr/share/locale", 15 * MB), new Root("/usr/share/zoneinfo", 5 * MB), new Root("/usr/share/perl", 10 * MB))));
        built.add(changes(built.get(0), built.get(1)));
        List<OciLayoutFixture.Layer> layers = built.stream()
                .map(l -> new OciLayoutFixture.Layer(l.tar, OciLayoutFixture.Compression.GZIP)).toList();
        long uncompressed = layers.stream().mapToLong(l -> l.tar().length).sum();
        long files = built.stream().mapToLong(l -> l.entries).sum();
        OciLayoutFixture.Written written = OciLayoutFixture.write(work.resolve("layout"), "t", layers,
                new OciLayoutFixture.Config(null, List.of("/bin/sh"), List.of("PATH=/usr/bin:/bin"), null, null));
        built.clear();
        layers = null;
        long compressed = 0;
        for (String d : written.layerDigests()) {
            compressed += Files.size(written.layout().resolve("blobs/sha256").resolve(d.substring("sha256:".length())));
        }

        try (TestRegistry registry = TestRegistry.start()) {
            registry.push(written, REPO_TAG);
            FileTrees.deleteRecursively(written.layout());
            String ref = registry.host() + "/" + REPO_TAG;
            HttpClient http = HttpClients.standard();

            // Warm-up of both sides: JIT and connections for banger, page cache of the registry's blobs for both.
            System.out.println("oci: warm-up…");
            long[] ext4Size = new long[1];
            banger(http, ref, work, "warm", ext4Size);
            baseline(ref, work, "warm", ext4Size[0]);

            List<Round> b = new ArrayList<>();
            List<Round> s = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                System.out.println("oci: round " + (i + 1) + "/" + rounds);
                b.add(banger(http, ref, work, "b" + i, ext4Size));
                s.add(baseline(ref, work, "s" + i, ext4Size[0]));
            }
            double bm = med(b, Round::total);
            double sm = med(s, Round::total);
            return String.format(Locale.ROOT, """
                    oci pull to ext4       image %d layers (gzip), %.1f MB compressed, %.1f MB uncompressed, %d tar entries; ext4 %.0f MB
                                           banger (RegistryClient + LayersToExt4) median %.0f ms %s
                                             pull %.0f | extract layers %.0f | mkfs.ext4 -d %.0f | debugfs + e2fsck -fn %.0f
                                           skopeo copy + umoci unpack + mkfs.ext4 -d median %.0f ms %s
                                             skopeo %.0f | umoci %.0f | mkfs.ext4 -d %.0f
                                           ratio banger/baseline %.2f (goal <= 1.00)
                    """, written.layerDigests().size(), compressed / 1e6, uncompressed / 1e6, files, ext4Size[0] / 1e6,
                    bm, totals(b), med(b, Round::a), med(b, Round::b), med(b, Round::c), med(b, Round::d),
                    sm, totals(s), med(s, Round::a), med(s, Round::b), med(s, Round::c),
                    bm / sm);
        }
    }

    // ---- the two sides ------------------------------------------------------------------------

    /** Pull into a fresh blob cache (every layer downloads), flatten to ext4; phases: pull, extract, mkfs, debugfs+fsck. */
    private static Round banger(HttpClient http, String ref, Path work, String name, long[] ext4Size) throws Exception {
        Path dir = Files.createDirectories(work.resolve("banger-" + name));
        try {
            Path scratch = Files.createDirectories(dir.resolve("scratch"));
            PhaseSink phases = new PhaseSink();
            long t0 = System.nanoTime();
            RegistryClient client = new RegistryClient(http, new BlobCache(dir.resolve("blobs")), DockerCredentials.empty(), Set.of());
            PulledImage pulled = client.pull(ImageReference.parse(ref), ProgressSink.NONE);
            long t1 = System.nanoTime();
            List<LayersToExt4.Layer> layers = pulled.layers().stream()
                    .map(l -> new LayersToExt4.Layer(l.path(), l.mediaType(), l.digest())).toList();
            phases.start = t1;
            Ext4Result result = new LayersToExt4(scratch).convert(layers, dir.resolve("rootfs.ext4"), phases);
            long t2 = System.nanoTime();
            ext4Size[0] = result.sizeBytes();
            return new Round(ms(t0, t2), ms(t0, t1), ms(t1, phases.mkfs), ms(phases.mkfs, phases.debugfs), ms(phases.debugfs, t2));
        } finally {
            FileTrees.deleteRecursively(dir);
        }
    }

    /** skopeo copy to an OCI layout, umoci unpack, mkfs.ext4 -d on a sparse file of banger's size; phases: the three tools. */
    private static Round baseline(String ref, Path work, String name, long ext4Size) throws Exception {
        Path dir = Files.createDirectories(work.resolve("baseline-" + name));
        try {
            Path layout = dir.resolve("oci");
            Path bundle = dir.resolve("bundle");
            Path image = dir.resolve("rootfs.ext4");
            long t0 = System.nanoTime();
            exec(List.of("skopeo", "--insecure-policy", "copy", "--src-tls-verify=false", "docker://" + ref, "oci:" + layout + ":t"));
            long t1 = System.nanoTime();
            exec(List.of("umoci", "unpack", "--image", layout + ":t", bundle.toString()));
            long t2 = System.nanoTime();
            try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
                raf.setLength(ext4Size);
            }
            exec(List.of("mkfs.ext4", "-q", "-F", "-b", "4096", "-d", bundle.resolve("rootfs").toString(), image.toString()));
            long t3 = System.nanoTime();
            return new Round(ms(t0, t3), ms(t0, t1), ms(t1, t2), ms(t2, t3), 0);
        } finally {
            FileTrees.deleteRecursively(dir);
        }
    }

    /** Times LayersToExt4's phases from the progress reports Ext4Writer sends between them. */
    private static final class PhaseSink implements ProgressSink {
        long start;
        long mkfs;
        long debugfs;

        @Override
        public void report(String stage, String detail) {
            if (detail.startsWith("mkfs.ext4 ")) {
                mkfs = System.nanoTime();
            } else if (detail.startsWith("applying ownership")) {
                debugfs = System.nanoTime();
            }
        }
    }

    // ---- the image ----------------------------------------------------------------------------

    private record Layer(byte[] tar, long entries, List<String> files, List<String> dirs) { }

    /** A host directory to take files from, up to {@code budget} content bytes. */
    private record Root(String dir, long budget) { }

    /**
     * A tar of the regular files, directories and symlinks under {@code roots} (walked in sorted
     * order without following symlinks; sockets, fifos, devices, unreadable and over-{@link #MAX_FILE}
     * files skipped) until each root's budget of content bytes. Paths already taken are skipped.
     */
    private static Layer layer(List<Root> roots) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 24);
        Set<String> seen = new TreeSet<>();
        List<String> files = new ArrayList<>();
        List<String> dirs = new ArrayList<>();
        long entries = 0;
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Root r : roots) {
                Path root = Path.of(r.dir);
                long budget = r.budget;
                long used = 0;
                if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) continue;
                // Parents of the root, so the layer is a complete tree.
                for (Path p = root.getParent(); p != null && p.getNameCount() > 0; p = p.getParent()) {
                    if (seen.add(name(p) + "/")) {
                        entries += dir(tar, p);
                    }
                }
                List<Path> walk;
                try (Stream<Path> s = Files.walk(root)) {
                    walk = s.sorted().toList();
                }
                for (Path p : walk) {
                    if (used >= budget) break;
                    PosixFileAttributes a;
                    try {
                        a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    } catch (IOException e) {
                        continue;
                    }
                    String n = name(p);
                    if (a.isDirectory()) {
                        if (seen.add(n + "/")) {
                            entries += dir(tar, p);
                            dirs.add(n);
                        }
                    } else if (a.isSymbolicLink()) {
                        if (!seen.add(n)) continue;
                        TarArchiveEntry e = new TarArchiveEntry(n, TarArchiveEntry.LF_SYMLINK);
                        e.setLinkName(Files.readSymbolicLink(p).toString());
                        e.setModTime(a.lastModifiedTime().toMillis());
                        tar.putArchiveEntry(e);
                        tar.closeArchiveEntry();
                        entries++;
                    } else if (a.isRegularFile() && a.size() <= MAX_FILE && Files.isReadable(p) && seen.add(n)) {
                        if (used + a.size() > budget) continue;
                        TarArchiveEntry e = new TarArchiveEntry(n);
                        e.setSize(a.size());
                        e.setMode(PosixModes.mode(a.permissions()));
                        e.setModTime(a.lastModifiedTime().toMillis());
                        tar.putArchiveEntry(e);
                        long copied;
                        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                            copied = in.transferTo(tar);
                        }
                        if (copied != a.size()) throw new IOException(p + " changed size while being archived");
                        tar.closeArchiveEntry();
                        used += a.size();
                        entries++;
                        files.add(n);
                    }
                }
            }
            tar.finish();
        }
        return new Layer(bytes.toByteArray(), entries, files, dirs);
    }

    /**
     * Small changes on top: a new file, a file from layer 1 replaced, one deleted (whiteout), and a
     * directory from layer 2 made opaque and given new content.
     */
    private static Layer changes(Layer lower1, Layer lower2) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long entries = 0;
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            entries += dirEntry(tar, "etc/");
            entries += file(tar, "etc/bench-release", "banger oci bench\n");
            String replaced = lower1.files.get(lower1.files.size() / 3);
            String deleted = lower1.files.get(lower1.files.size() / 2);
            entries += dirEntry(tar, parentOf(replaced) + "/");
            entries += file(tar, replaced, "replaced by layer 3\n");
            entries += dirEntry(tar, parentOf(deleted) + "/");
            String base = deleted.substring(deleted.lastIndexOf('/') + 1);
            entries += file(tar, parentOf(deleted) + "/.wh." + base, "");
            // The deepest-but-one directory of layer 2 with content under it.
            String opaque = lower2.dirs.stream().filter(d -> d.split("/").length >= 4).findFirst()
                    .orElse(lower2.dirs.get(lower2.dirs.size() - 1));
            entries += dirEntry(tar, opaque + "/");
            entries += file(tar, opaque + "/.wh..wh..opq", "");
            entries += file(tar, opaque + "/NEW", "only file left after the opaque whiteout\n");
            tar.finish();
        }
        return new Layer(bytes.toByteArray(), entries, List.of(), List.of());
    }

    private static String parentOf(String n) {
        return n.substring(0, n.lastIndexOf('/'));
    }

    private static int dir(TarArchiveOutputStream tar, Path p) throws IOException {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        TarArchiveEntry e = new TarArchiveEntry(name(p) + "/");
        e.setMode(040000 | PosixModes.mode(a.permissions()));
        e.setModTime(a.lastModifiedTime().toMillis());
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        return 1;
    }

    private static int dirEntry(TarArchiveOutputStream tar, String n) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(n);
        e.setMode(040755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        return 1;
    }

    private static int file(TarArchiveOutputStream tar, String n, String content) throws IOException {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(n);
        e.setMode(0100644);
        e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
        return 1;
    }

    /** Relative tar name of an absolute path. */
    private static String name(Path p) {
        return p.toString().substring(1);
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static void exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " failed:\n" + new String(out, StandardCharsets.UTF_8));
        }
    }

    private static double ms(long from, long to) {
        return (to - from) / 1e6;
    }

    private static double med(List<Round> rs, java.util.function.ToDoubleFunction<Round> f) {
        return Bench.median(rs.stream().map(r -> f.applyAsDouble(r)).toList());
    }

    private static String totals(List<Round> rs) {
        return rs.stream().map(r -> String.format(Locale.ROOT, "%.0f", r.total())).toList().toString();
    }
}
