package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress as the user sees it, over a real bangerd: on a real pseudo-terminal (util-linux
 * {@code script}), as plain lines when stderr is a file, and none with --quiet. The call is an
 * {@code image import} of a small directory: it goes through build_ext4 without booting anything.
 */
class ProgressE2eTest extends BootingE2eTest {
    @TempDir
    Path tmp;

    private Path rootTree() throws Exception {
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("root"));
        Files.writeString(root.resolve("etc/hostname"), "progress\n");
        return root;
    }

    @Test
    void aTerminalGetsOneRedrawnLinePerStageAndQuietGetsNone() throws Exception {
        Path root = rootTree();
        try {
            String shown = Banger.onATerminal("", "image", "import", "progress-tty", root.toString());
            assertThat(shown).contains("progress-tty");
            // The running line is redrawn with cursor moves; each stage is finished once, with its time.
            assertThat(shown).contains("\u001b[");
            assertThat(shown.split("✓ build_ext4", -1)).as(shown).hasSize(2);
            assertThat(shown).containsPattern("✓ build_ext4 .* \\d+\\.\\ds");
            assertThat(shown).doesNotContain("  done ").doesNotContain("WARNING");

            String quiet = Banger.onATerminal("", "image", "import", "--quiet", "progress-quiet", root.toString());
            assertThat(quiet.strip()).isEqualTo("progress-quiet");
            String global = Banger.onATerminal("", "--quiet", "image", "import", "progress-global", root.toString());
            assertThat(global.strip()).isEqualTo("progress-global");

            // Progress follows stderr: shown when only stdout is redirected, not drawn into a file that stderr goes to.
            Path stdout = tmp.resolve("stdout");
            String toFile = Banger.onATerminal("> " + stdout, "image", "import", "progress-stdout", root.toString());
            assertThat(toFile).contains("✓ build_ext4");
            assertThat(Files.readString(stdout).strip()).isEqualTo("progress-stdout");
            Path stderr = tmp.resolve("stderr");
            String errToFile = Banger.onATerminal("2> " + stderr, "image", "import", "progress-stderr", root.toString());
            assertThat(errToFile.strip()).isEqualTo("progress-stderr");
            assertThat(Files.readString(stderr)).isEmpty();
        } finally {
            for (String name : List.of("progress-tty", "progress-quiet", "progress-global", "progress-stdout", "progress-stderr")) {
                Banger.run("image", "rm", name);
            }
        }
    }

    @Test
    void notATerminalGetsThePlainLinesWithBangerProgress() throws Exception {
        Path root = rootTree();
        try {
            Banger.Result r = Banger.run(Map.of("BANGER_PROGRESS", "1"), Duration.ofMinutes(5),
                    "image", "import", "progress-plain", root.toString());
            assertThat(r.exit()).as(r.stderr()).isZero();
            assertThat(r.stdout().strip()).isEqualTo("progress-plain");
            List<String> lines = r.stderr().lines().toList();
            assertThat(lines).allMatch(l -> l.startsWith("» ") || l.matches("  done \\S+ +\\d+ ms"), "plain progress lines");
            assertThat(lines).anyMatch(l -> l.startsWith("» build_ext4 "));
            assertThat(lines.getLast()).matches("  done build_ext4 +\\d+ ms");
            assertThat(r.stderr()).doesNotContain("\u001b");

            Banger.Result silent = Banger.run("image", "import", "progress-silent", root.toString());
            assertThat(silent.exit()).as(silent.stderr()).isZero();
            assertThat(silent.stderr()).isEmpty();
        } finally {
            for (String name : List.of("progress-plain", "progress-silent")) Banger.run("image", "rm", name);
        }
    }
}
