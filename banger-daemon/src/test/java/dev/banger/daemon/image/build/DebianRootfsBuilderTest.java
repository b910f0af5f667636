package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Offline checks: argument validation, the exact command line, and cleanup when mmdebstrap fails. */
class DebianRootfsBuilderTest {
    @TempDir
    Path tmp;

    @Test
    void commandIsMinbaseTarToStdout() {
        List<String> cmd = MmdebstrapCommand.build(MmdebstrapMode.UNSHARE, "bookworm", List.of("curl", "less"),
                URI.create("http://deb.debian.org/debian"));
        assertThat(cmd).containsExactly("mmdebstrap", "--mode=unshare", "--variant=minbase", "--format=tar",
                "--include=curl,less", "bookworm", "-", "http://deb.debian.org/debian");
    }

    @Test
    void rejectsInputsThatCouldBecomeOptionsOrSourcesLines() {
        URI ok = URI.create("http://deb.debian.org/debian");
        assertThatThrownBy(() -> MmdebstrapCommand.build(MmdebstrapMode.ROOT, "--hook", List.of(), ok))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MmdebstrapCommand.build(MmdebstrapMode.ROOT, "bookworm", List.of("a,b"), ok))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MmdebstrapCommand.build(MmdebstrapMode.ROOT, "bookworm", List.of("-x"), ok))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MmdebstrapCommand.build(MmdebstrapMode.ROOT, "bookworm", List.of(),
                URI.create("ftp://example.org/debian"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MmdebstrapCommand.build(MmdebstrapMode.ROOT, "bookworm", List.of(),
                URI.create("relative/path"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultPackagesAreValidAndLean() {
        MmdebstrapCommand.validate("bookworm", DebianRootfsBuilder.DEFAULT_PACKAGES, URI.create("http://x/debian"));
        assertThat(DebianRootfsBuilder.DEFAULT_PACKAGES).contains("bash", "apt", "ca-certificates", "iproute2", "procps",
                "openssh-server").doesNotContain("systemd", "systemd-sysv").hasSizeLessThan(15);
    }

    @Test
    void failedBuildReportsStderrAndLeavesNothing() throws Exception {
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        DebianRootfsBuilder builder = new DebianRootfsBuilder(new TarToExt4(scratch), scratch);
        // Nothing listens on port 9: apt-get update fails fast, without touching the network.
        assertThatThrownBy(() -> builder.build("bookworm", List.of(), URI.create("http://127.0.0.1:9/debian"),
                outDir.resolve("x.ext4"), (stage, detail) -> lines.add(stage + ": " + detail)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("mmdebstrap")
                .hasMessageContaining("127.0.0.1");
        assertThat(lines).anyMatch(l -> l.startsWith("build_rootfs: "));
        assertThat(outDir).isEmptyDirectory();
        assertThat(scratch).isEmptyDirectory();
    }

    @Test
    void lsParserReadsDebugfsParsableListing() {
        List<RootfsFinisher.LsEntry> e = RootfsFinisher.parse("/2/040755/0/0/.//\n/12/040700/0/0/root//\n/14/100600/0/0/k/12/\n");
        assertThat(e).contains(new RootfsFinisher.LsEntry("root", 040700, 0, 0), new RootfsFinisher.LsEntry("k", 0100600, 0, 0));
    }

    @Test
    void refusesMissingOutputDirectory() {
        DebianRootfsBuilder builder = new DebianRootfsBuilder(new TarToExt4(tmp), tmp);
        assertThatThrownBy(() -> builder.build("bookworm", List.of(), URI.create("http://x/debian"),
                tmp.resolve("missing/x.ext4"), ProgressSink.NONE)).isInstanceOf(IOException.class);
    }
}
