package dev.banger.daemon.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The one ELF check and the one version rule that Debian import, directory import and catalog pull share. */
class KernelFilesTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"6.1.0-13-cloud-amd64", "6.1.0-57-cloud-amd64", "6.10.0", "6.1.0-renamed", "6.1.0-custom",
            "6.7.0-rc1+", "5.15.0_custom.1", "1"})
    void acceptsTheVersionsOfRealAndTestKernels(String version) {
        assertThat(KernelFiles.isVersion(version)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "../x", "6.1/0", "6.1 0", "6.1.0~rc1", "6.1\n", "ünï", "x;rm"})
    void refusesVersionsThatCouldNotBeAPathComponentOrManifestValue(String version) {
        assertThat(KernelFiles.isVersion(version)).isFalse();
    }

    @Test
    void refusesNullAndOverlongVersions() {
        assertThat(KernelFiles.isVersion(null)).isFalse();
        assertThat(KernelFiles.isVersion("1".repeat(100))).isTrue();
        assertThat(KernelFiles.isVersion("1".repeat(101))).isFalse();
    }

    @Test
    void acceptsOnlyA64BitElfHeader() {
        assertThat(KernelFiles.isElf64(new byte[] {0x7F, 'E', 'L', 'F', 2})).isTrue();
        assertThat(KernelFiles.isElf64(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0})).isTrue();
        assertThat(KernelFiles.isElf64(new byte[] {0x7F, 'E', 'L', 'F', 1})).as("32-bit ELF").isFalse();
        assertThat(KernelFiles.isElf64(new byte[] {0x7F, 'E', 'L', 'F'})).as("magic only").isFalse();
        assertThat(KernelFiles.isElf64(new byte[] {'M', 'Z', 0, 0, 2})).as("PE/bzImage").isFalse();
        assertThat(KernelFiles.isElf64(new byte[0])).isFalse();
    }

    @Test
    void checksFilesWithoutFollowingSymlinks() throws Exception {
        Path elf = Files.write(tmp.resolve("vmlinux"), TestBundle.elf(64, 7));
        Path text = Files.writeString(tmp.resolve("text"), "plain text");
        Path empty = Files.write(tmp.resolve("empty"), new byte[0]);
        Path link = Files.createSymbolicLink(tmp.resolve("link"), elf);
        assertThat(KernelFiles.isElf64(elf)).isTrue();
        assertThat(KernelFiles.isElf64(text)).isFalse();
        assertThat(KernelFiles.isElf64(empty)).isFalse();
        assertThat(KernelFiles.isElf64(link)).as("a symlink is not a kernel file").isFalse();
        assertThat(KernelFiles.isElf64(tmp.resolve("absent"))).isFalse();
        assertThat(KernelFiles.isElf64(tmp)).as("a directory").isFalse();
    }
}
