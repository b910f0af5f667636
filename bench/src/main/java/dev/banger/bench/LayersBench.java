package dev.banger.bench;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.image.build.EmptyFilesLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The memory target of a huge OCI layer (issue 8): a layer of a million empty files (1000 directories
 * of 1000, every one owned by uid 1000, so each needs an ownership fix) flattened to ext4 by
 * LayersToExt4 in a child JVM with bangerd's own heap, -Xmx256m, which must not run out. Its time is
 * set against the plain way in the same run: {@code tar -xzf} of the same blob as root (ownership
 * kept) and {@code mkfs.ext4 -d} of the tree. Root only (the baseline's tar keeps uid 1000 as root).
 */
final class LayersBench {
    static final int DIRS = 1000;
    static final int FILES_PER_DIR = 1000;
    private static final String HEAP = "-Xmx256m";

    private LayersBench() { }

    static String run(Path work, int rounds) throws Exception {
        Cmd.requireRoot("layers");
        FileTrees.deleteRecursively(work);
        Files.createDirectories(work);
        try {
            Path blob = work.resolve("million.tar.gz");
            EmptyFilesLayer.write(blob, DIRS, FILES_PER_DIR);
            StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
                    "%nlayers: a layer of %d empty files in %d directories (uid 1000), %d round(s)%n", DIRS * FILES_PER_DIR, DIRS, rounds));
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                String childLine = banger(blob, work);
                long bangerMs = (System.nanoTime() - t0) / 1_000_000;
                t0 = System.nanoTime();
                plain(blob, work);
                long plainMs = (System.nanoTime() - t0) / 1_000_000;
                report.append(String.format(Locale.ROOT, "  round %d: banger (LayersToExt4, %s) %d ms, tar -xzf + mkfs.ext4 -d %d ms, ratio %.2f; %s%n",
                        r + 1, HEAP, bangerMs, plainMs, (double) bangerMs / plainMs, childLine));
            }
            return report.toString();
        } finally {
            FileTrees.deleteRecursively(work);
        }
    }

    /** LayersToExt4 in a child JVM with bangerd's heap; its one result line, or an exception when it failed (an OutOfMemoryError exits it with 3). */
    private static String banger(Path blob, Path work) throws Exception {
        Path scratch = Files.createDirectories(work.resolve("scratch"));
        Path out = work.resolve("banger.ext4");
        Path log = work.resolve("child.log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                EmptyFilesLayer.Flatten.class.getName(), blob.toString(), scratch.toString(), out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.MINUTES)) throw new IOException("LayersToExt4 did not finish within 60 minutes");
        } finally {
            p.destroyForcibly();
        }
        String text = Files.readString(log);
        if (p.exitValue() != 0) throw new IOException("LayersToExt4 with " + HEAP + " failed (exit " + p.exitValue() + "): " + text.strip());
        Files.deleteIfExists(out);
        return text.lines().filter(l -> l.startsWith("entries=")).findFirst().orElseThrow(() -> new IOException("no result line: " + text));
    }

    private static void plain(Path blob, Path work) throws Exception {
        Path tree = Files.createDirectories(work.resolve("tree"));
        Path out = work.resolve("plain.ext4");
        try {
            Cmd.run("tar", "-xzf", blob.toString(), "-C", tree.toString(), "--numeric-owner");
            Cmd.run("mkfs.ext4", "-q", "-F", "-N", Integer.toString(DIRS * FILES_PER_DIR + 100_000), "-d", tree.toString(), out.toString(), "2G");
        } finally {
            FileTrees.deleteRecursively(tree);
            Files.deleteIfExists(out);
        }
    }
}
