package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

    /** banger ARGS on a 30x100 pseudo-terminal; what the terminal received (stdout and stderr both). */
    private static String onATerminal(String... args) throws Exception {
        return onATerminalRedirected("", args);
    }

    /** The same, with a shell redirection of banger's stdout or stderr ({@code > FILE}, {@code 2> FILE}). */
    private static String onATerminalRedirected(String redirect, String... args) throws Exception {
        Path transcript = Files.createTempFile("banger-progress", ".log");
        StringBuilder inner = new StringBuilder("stty rows 30 cols 100 && exec ").append(Banger.ROOT.resolve("bin/banger"));
        for (String a : args) inner.append(' ').append(a);
        inner.append(' ').append(redirect);
        ProcessBuilder pb = new ProcessBuilder(List.of("script", "-q", "-e", "-c", inner.toString(), transcript.toString()));
        pb.environment().put("BANGER_HOME", Banger.home().toString());
        pb.environment().put("TERM", "xterm");
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().remove("BANGER_PROGRESS");
        Process p = pb.redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            return out;
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Files.deleteIfExists(transcript);
        }
    }

    @Test
    void aTerminalGetsOneRedrawnLinePerStageAndQuietGetsNone() throws Exception {
        Path root = rootTree();
        try {
            String shown = onATerminal("image", "import", "progress-tty", root.toString());
            assertThat(shown).contains("progress-tty");
            // The running line is redrawn with cursor moves; each stage is finished once, with its time.
            assertThat(shown).contains("\u001b[");
            assertThat(shown.split("✓ build_ext4", -1)).as(shown).hasSize(2);
            assertThat(shown).containsPattern("✓ build_ext4 .* \\d+\\.\\ds");
            assertThat(shown).doesNotContain("  done ").doesNotContain("WARNING");

            String quiet = onATerminal("image", "import", "--quiet", "progress-quiet", root.toString());
            assertThat(quiet.strip()).isEqualTo("progress-quiet");
            String global = onATerminal("--quiet", "image", "import", "progress-global", root.toString());
            assertThat(global.strip()).isEqualTo("progress-global");

            // Progress follows stderr: shown when only stdout is redirected, not drawn into a file that stderr goes to.
            Path stdout = tmp.resolve("stdout");
            String toFile = onATerminalRedirected("> " + stdout, "image", "import", "progress-stdout", root.toString());
            assertThat(toFile).contains("✓ build_ext4");
            assertThat(Files.readString(stdout).strip()).isEqualTo("progress-stdout");
            Path stderr = tmp.resolve("stderr");
            String errToFile = onATerminalRedirected("2> " + stderr, "image", "import", "progress-stderr", root.toString());
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
