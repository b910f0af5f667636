package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import dev.banger.core.api.ProgressNote;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The progress views over notes as bangerd sends them. The live view draws through a real JLine
 * terminal (xterm's terminfo) whose output is captured, with a fixed width and a hand-driven clock.
 */
class ProgressTest {
    private static final long MS = 1_000_000;
    private final AtomicLong clock = new AtomicLong();
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();

    @AfterEach
    void loud() {
        Progress.resetQuiet();
    }

    private static ProgressNote note(String stage, String detail, String previous, Long previousMs) {
        return new ProgressNote(IntNode.valueOf(1), stage, detail, 0, previous, previousMs);
    }

    private static ProgressNote bytes(String stage, String detail, long done, Long total) {
        return new ProgressNote(IntNode.valueOf(1), stage, detail, 0, null, null, done, total);
    }

    private LiveProgress live(int cols) throws Exception {
        return new LiveProgress(LiveProgress.terminal(screen, "xterm", 24, cols, StandardCharsets.UTF_8), cols, clock::get, false);
    }

    private String shown() {
        return screen.toString(StandardCharsets.UTF_8);
    }

    /** The screen's lines, as a terminal would show them. */
    private List<String> screenLines() {
        return TestScreen.of(shown()).stream().filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void aStageIsDoneOnlyWhenTheNextBeginsWithTheDaemonsFigure() throws Exception {
        LiveProgress view = live(80);
        view.note(note("build_rootfs", "mmdebstrap --mode=root bookworm", null, null));
        clock.addAndGet(9 * MS);
        view.note(note("build_rootfs", "I: chroot architecture amd64", null, null));
        clock.addAndGet(60_000 * MS);
        view.note(note("build_rootfs", "I: success in 60.1 seconds", null, null));
        assertThat(shown()).doesNotContain("✓").doesNotContain("\n");
        assertThat(screenLines()).singleElement().asString().startsWith("» build_rootfs").contains("I: success in 60.1 seconds")
                .endsWith("1m00s");

        clock.addAndGet(5 * MS);
        view.note(note("build_ext4", "mkfs.ext4 1024 MiB", "build_rootfs", 63_210L));
        clock.addAndGet(2_000 * MS);
        view.end(true);

        List<String> lines = screenLines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("✓ build_rootfs").contains("I: success in 60.1 seconds").endsWith("1m03s");
        assertThat(lines.get(1)).startsWith("✓ build_ext4").contains("mkfs.ext4 1024 MiB").endsWith("2.0s");
        // One line per stage: a newline only when a stage is finished; the running line is redrawn in place.
        assertThat(shown().chars().filter(c -> c == '\n').count()).isEqualTo(2);
        assertThat(shown()).contains("\u001b[");
    }

    @Test
    void theRunningLineTicksAndAFailedCallMarksItsStage() throws Exception {
        LiveProgress view = live(60);
        view.note(note("wait_vsock_agent", "waiting for the guest agent", null, null));
        clock.addAndGet(1_500 * MS);
        view.note(note("wait_vsock_agent", "waiting for the guest agent", null, null));
        assertThat(screenLines()).singleElement().asString().startsWith("» wait_vsock_agent").endsWith("1.5s");
        view.end(false);
        assertThat(screenLines()).singleElement().asString().startsWith("✗ wait_vsock_agent").endsWith("1.5s");
    }

    @Test
    void downloadsGetABarWithBytesRateAndEta() throws Exception {
        LiveProgress view = live(100);
        long mib = 1 << 20;
        view.note(bytes("pull_kernel", "downloading https://example.org/k.tar.zst", 0, 40 * mib));
        clock.addAndGet(2_000 * MS);
        view.note(bytes("pull_kernel", "downloaded 20.0 of 40.0 MiB", 20 * mib, 40 * mib));
        assertThat(screenLines()).singleElement().asString().contains("[==========>         ] 20.0/40.0 MiB 10.0 MiB/s ETA 2.0s");
        view.end(true);
        assertThat(screenLines()).singleElement().asString().startsWith("✓ pull_kernel").contains("40.0 MiB").doesNotContain("null");
    }

    @Test
    void theBarGoesWhenTheStageMovesOnToWorkWithoutBytes() throws Exception {
        LiveProgress view = live(100);
        view.note(bytes("build_ext4", "extracting layer 1/1 sha256:ab", 1 << 20, (long) (2 << 20)));
        assertThat(screenLines()).singleElement().asString().contains("[");
        view.note(note("build_ext4", "mkfs.ext4 256 MiB, 16384 inodes", null, null));
        assertThat(screenLines()).singleElement().asString().doesNotContain("[").doesNotContain("MiB/s").contains("mkfs.ext4");
        view.end(true);
    }

    @Test
    void linesFitTheTerminalWidth() {
        StageLine download = new StageLine("»", "pull_image", "layer 3/7 sha256:0123456789ab… 48.5 MiB of a very long detail",
                3_200 * MS, 48L << 20, 100L << 20, 12.5 * (1 << 20));
        for (int width : List.of(20, 40, 60, 80, 132)) {
            assertThat(download.render(width).length()).as("width %d", width).isLessThan(width);
            assertThat(download.render(width)).as("width %d", width).endsWith("3.2s");
        }
        assertThat(download.render(132)).contains("[=========>          ] 48.0/100.0 MiB 12.5 MiB/s ETA 4.2s")
                .contains("layer 3/7");
        assertThat(download.render(40)).doesNotContain("[").contains("…");
        assertThat(new StageLine("»", "x", "a\tb\u001b[2Jc", 0, null, null, 0).render(40)).doesNotContain("\u001b").contains("a b [2Jc");
        assertThat(StageLine.duration(400 * MS)).isEqualTo("0.4s");
        assertThat(StageLine.duration(125_000 * MS)).isEqualTo("2m05s");
        assertThat(StageLine.duration(3_720_000 * MS)).isEqualTo("1h02m");
    }

    @Test
    void plainLinesKeepTheirShapeAndTheLastStageEndsWithTheCall() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Progress p = Progress.plain(new PrintStream(err, true, StandardCharsets.UTF_8))) {
            p.onNotification("progress", dev.banger.core.Json.MAPPER.valueToTree(note("reserve_vm", "allocated a (10.0.2.15)", null, null)));
            p.onNotification("progress", dev.banger.core.Json.MAPPER.valueToTree(note("finalize", "marking running", "reserve_vm", 12L)));
            p.succeeded();
        }
        List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).isEqualTo("» reserve_vm             allocated a (10.0.2.15)");
        assertThat(lines.get(1)).isEqualTo("  done reserve_vm                 12 ms");
        assertThat(lines.get(2)).isEqualTo("» finalize               marking running");
        assertThat(lines.get(3)).matches("  done finalize +\\d+ ms");
    }

    @Test
    void quietOnBangerOrOnALongVerbSilencesProgress() {
        Main.commandLine(new String[0]).parseArgs("--quiet", "vm", "create", "--name", "a");
        assertThat(Progress.isQuiet()).isTrue();
        Progress.resetQuiet();
        Main.commandLine(new String[0]).parseArgs("vm", "create", "--name", "a");
        assertThat(Progress.isQuiet()).isFalse();
        for (String[] args : List.of(new String[] {"vm", "run", "-q"}, new String[] {"vm", "start", "-q", "a"},
                new String[] {"image", "build", "--quiet", "debian"}, new String[] {"image", "pull", "-q", "alpine"},
                new String[] {"kernel", "pull", "-q", "k"}, new String[] {"kernel", "import", "-q", "k", "--from", "/"},
                new String[] {"vm", "cp", "-q", "a", "vm:/b"})) {
            Progress.resetQuiet();
            Main.commandLine(args).parseArgs(args);
            assertThat(Progress.isQuiet()).as(String.join(" ", args)).isTrue();
        }
        Progress.resetQuiet();
        assertThat(Progress.forTerminal()).isNotNull();
    }

    /** vm cp's own stages go through the same views: each source a stage, its bytes a bar against its size. */
    @Test
    void aCopyIsAStageWithABarAgainstTheSourcesSize() throws Exception {
        try (Progress p = new Progress(() -> {
            try {
                return live(100);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        })) {
            CopyRunner.CopyMeter meter = new CopyRunner.CopyMeter(p);
            meter.begin("copy_in", (6L << 20) + 10);
            meter.source("big.bin → vm:/root/");
            meter.add(2L << 20);
            clock.addAndGet(1_000 * MS);
            meter.done();
            assertThat(screenLines()).singleElement().asString().startsWith("» copy_in").contains("big.bin → vm:/root/")
                    .contains("2.0/6.0 MiB");
            meter.source("small.txt → vm:/root/");
            meter.add((4L << 20) + 512);   // the tar's headers: past the files' own size, the bar stays full
            meter.done();
            assertThat(screenLines()).singleElement().asString().contains("small.txt → vm:/root/");
            p.succeeded();
        }
        assertThat(screenLines()).singleElement().asString().startsWith("✓ copy_in")
                .contains("[" + "=".repeat(StageLine.BAR_WIDTH) + "] 6.0/6.0 MiB");
    }

    @Test
    void aCopysSizeIsItsRegularFilesNotWhatItsLinksPointAt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.write(dir.resolve("a"), new byte[1000]);
        java.nio.file.Files.createDirectories(dir.resolve("sub"));
        java.nio.file.Files.write(dir.resolve("sub/b"), new byte[24]);
        java.nio.file.Path big = java.nio.file.Files.write(dir.getParent().resolve(dir.getFileName() + "-outside"), new byte[1 << 20]);
        try {
            java.nio.file.Files.createSymbolicLink(dir.resolve("link"), big);
            assertThat(CopyRunner.contentBytes(dir)).isEqualTo(1024);
            assertThat(CopyRunner.contentBytes(dir.resolve("a"))).isEqualTo(1000);
            assertThat(CopyRunner.contentBytes(dir.resolve("link"))).isZero();
        } finally {
            java.nio.file.Files.delete(big);
        }
    }
}
