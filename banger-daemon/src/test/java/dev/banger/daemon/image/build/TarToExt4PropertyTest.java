package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** For random trees of safe names, modes and owners, every entry comes back exactly as the tar said. */
class TarToExt4PropertyTest {

    enum Kind { DIR, FILE, SYMLINK }

    record Node(String path, Kind kind, int mode, long uid, long gid, String payload) { }

    // Space, '#', '\'', '<', '>' and non-ASCII are all legal and must survive debugfs quoting.
    private static final String ALPHABET = "abcxyzABC019 ._-+@#'<>~é";

    @Provide
    Arbitrary<List<Node>> trees() {
        return Arbitraries.randomValue(TarToExt4PropertyTest::randomTree);
    }

    private static List<Node> randomTree(Random rnd) {
        List<Node> nodes = new ArrayList<>();
        List<String> dirs = new ArrayList<>(List.of(""));
        Set<String> used = new HashSet<>();
        int count = 1 + rnd.nextInt(25);
        for (int i = 0; i < count; i++) {
            String parent = dirs.get(rnd.nextInt(dirs.size()));
            String name;
            do {
                StringBuilder sb = new StringBuilder();
                int len = 1 + rnd.nextInt(10);
                for (int c = 0; c < len; c++) {
                    sb.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
                }
                name = sb.toString();
            } while (name.equals(".") || name.equals("..") || !used.add(parent + "/" + name));
            String path = parent.isEmpty() ? name : parent + "/" + name;
            Kind kind = Kind.values()[rnd.nextInt(3)];
            long uid = rnd.nextBoolean() ? 0 : rnd.nextInt(70_000);
            long gid = rnd.nextBoolean() ? 0 : rnd.nextInt(70_000);
            int mode = rnd.nextInt(010000);
            String payload = switch (kind) {
                case DIR -> null;
                case FILE -> "content of " + path + "\n".repeat(rnd.nextInt(3));
                case SYMLINK -> rnd.nextBoolean() ? "target-" + i : "/" + "long/".repeat(1 + rnd.nextInt(20)) + i;
            };
            nodes.add(new Node(path, kind, mode, uid, gid, payload));
            if (kind == Kind.DIR) {
                dirs.add(path);
            }
        }
        return nodes;
    }

    @Property(tries = 12)
    void everyEntryRoundTrips(@ForAll("trees") List<Node> nodes) throws Exception {
        Path tmp = Files.createTempDirectory("tar2ext4-prop");
        try {
            Path scratch = Files.createDirectory(tmp.resolve("scratch"));
            TarBuilder tar = new TarBuilder();
            for (Node n : nodes) {
                switch (n.kind()) {
                    case DIR -> tar.dir(n.path(), n.mode(), n.uid(), n.gid());
                    case FILE -> tar.file(n.path(), n.mode(), n.uid(), n.gid(), n.payload());
                    case SYMLINK -> tar.symlink(n.path(), n.payload(), n.uid(), n.gid());
                }
            }
            Path out = tmp.resolve("p.ext4");
            try (InputStream in = tar.stream()) {
                Ext4Result r = new TarToExt4(scratch).convert(in, out, ProgressSink.NONE);
                assertThat(r.entries()).isEqualTo(nodes.size());
            }
            Map<String, Debugfs.Stat> stats = Debugfs.statAll(out, nodes.stream().map(n -> "/" + n.path()).toList(), tmp);
            for (Node n : nodes) {
                Debugfs.Stat s = stats.get("/" + n.path());
                assertThat(s).as(n.path()).isNotNull();
                assertThat(s.uid()).as(n.path()).isEqualTo(n.uid());
                assertThat(s.gid()).as(n.path()).isEqualTo(n.gid());
                switch (n.kind()) {
                    case DIR -> {
                        assertThat(s.type()).isEqualTo("directory");
                        assertThat(s.mode()).as(n.path()).isEqualTo(n.mode());
                    }
                    case FILE -> {
                        assertThat(s.type()).isEqualTo("regular");
                        assertThat(s.mode()).as(n.path()).isEqualTo(n.mode());
                        assertThat(new String(Debugfs.cat(out, "/" + n.path()), StandardCharsets.UTF_8)).isEqualTo(n.payload());
                    }
                    case SYMLINK -> {
                        assertThat(s.type()).isEqualTo("symlink");
                        assertThat(s.size()).isEqualTo(n.payload().getBytes(StandardCharsets.UTF_8).length);
                        assertThat(Debugfs.linkTarget(out, "/" + n.path(), s)).as(n.path()).isEqualTo(n.payload());
                    }
                }
            }
            assertThat(Debugfs.fsck(out)).isZero();
            assertThat(scratch).isEmptyDirectory();
        } finally {
            dev.banger.daemon.fs.FileTrees.deleteRecursively(tmp);
        }
    }
}
