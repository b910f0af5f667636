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

    /**
     * Issue 12: the first run printed "done build_rootfs 9 ms" before mmdebstrap had even started.
     * The tar is converted on a second thread while mmdebstrap runs, and the converter's first report
     * (build_ext4 "extracting tar") came 9 ms after mmdebstrap's, so the call's single current stage
     * flipped between the two for the whole build. A stand-in mmdebstrap (a real build needs a Debian
     * mirror, which this machine cannot reach) talks on stderr before, while and after its tar.
     */
    @Test
    void doneBuildRootfs9msBeforeMmdebstrapStarted() throws Exception {
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        Path tree = Files.createDirectories(tmp.resolve("tree/etc"));
        Files.writeString(tree.resolve("hostname"), "stand-in\n");
        Path fake = tmp.resolve("mmdebstrap");
        Files.writeString(fake, String.join("\n", "#!/bin/bash",
                "echo 'I: chroot architecture amd64 is equal to the host' >&2",
                "sleep 0.4",
                "echo 'I: installing remaining packages inside the chroot...' >&2",
                "sleep 0.4",
                "tar -C '" + tmp.resolve("tree") + "' --owner=0 --group=0 -cf - .",
                "exec 1>&-",
                "sleep 0.4",
                "echo 'I: cleaning up...' >&2",
                "echo 'I: success in 1.2 seconds' >&2", ""));
        Files.setPosixFilePermissions(fake, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        List<String> reports = Collections.synchronizedList(new ArrayList<>());
        DebianRootfsBuilder builder = new DebianRootfsBuilder(new TarToExt4(scratch), scratch, tmp, fake.toString());

        builder.build("bookworm", List.of(), URI.create("http://deb.debian.org/debian"), outDir.resolve("x.ext4"),
                (stage, detail) -> reports.add(stage + ": " + detail));

        // One stage after the other, each entered once: a "done" is only printed when a stage really ended.
        List<String> entered = new ArrayList<>();
        for (String r : reports) {
            String stage = r.substring(0, r.indexOf(':'));
            if (entered.isEmpty() || !entered.getLast().equals(stage)) entered.add(stage);
        }
        assertThat(entered).as("stages in the order they were entered, from %s", reports)
                .containsExactly("build_rootfs", "build_ext4");
        // build_rootfs lasts until mmdebstrap's last word, and the tar's extraction is part of it.
        int lastRootfs = reports.indexOf("build_rootfs: I: success in 1.2 seconds");
        assertThat(lastRootfs).isGreaterThan(reports.indexOf("build_rootfs: extracting tar"));
        assertThat(reports.get(lastRootfs + 1)).startsWith("build_rootfs: mmdebstrap done: ");
        assertThat(reports.get(lastRootfs + 2)).startsWith("build_ext4: extracted ");
        assertThat(outDir.resolve("x.ext4")).isRegularFile();
        assertThat(scratch).isEmptyDirectory();
    }

    @Test
    void mmdebstrapFailingAfterItsTarStopsBeforeMkfs() throws Exception {
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        Files.createDirectories(tmp.resolve("tree/etc"));
        Path fake = tmp.resolve("mmdebstrap");
        Files.writeString(fake, String.join("\n", "#!/bin/bash",
                "tar -C '" + tmp.resolve("tree") + "' -cf - .",
                "echo 'E: hook failed' >&2",
                "exit 7", ""));
        Files.setPosixFilePermissions(fake, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        List<String> reports = Collections.synchronizedList(new ArrayList<>());
        DebianRootfsBuilder builder = new DebianRootfsBuilder(new TarToExt4(scratch), scratch, tmp, fake.toString());

        assertThatThrownBy(() -> builder.build("bookworm", List.of(), URI.create("http://deb.debian.org/debian"),
                outDir.resolve("x.ext4"), (stage, detail) -> reports.add(stage + ": " + detail)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("mmdebstrap failed (exit 7)")
                .hasMessageContaining("E: hook failed");
        assertThat(reports).noneMatch(r -> r.startsWith("build_ext4: mkfs.ext4"));
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
