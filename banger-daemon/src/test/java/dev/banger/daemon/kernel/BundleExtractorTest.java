package dev.banger.daemon.kernel;

import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BundleExtractorTest {
    private static final byte[] DATA = "x".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    /** Bundles no extractor may accept, with a fragment the error must contain. */
    static Stream<Arguments> malicious() {
        return Stream.of(
                Arguments.of("dotdot", TestBundle.minimal().file("../escape", DATA, 0644), "'..'"),
                Arguments.of("dotdot-inside", TestBundle.minimal().file("modules/../../escape", DATA, 0644), "'..'"),
                Arguments.of("absolute", TestBundle.minimal().file("/etc/x", DATA, 0644), "absolute path"),
                Arguments.of("absolute-symlink", TestBundle.minimal().symlink("modules/abs", "/etc/passwd"), "absolute symlink"),
                Arguments.of("escaping-symlink", TestBundle.minimal().symlink("modules/x", "../../.."), "outside the bundle"),
                Arguments.of("escaping-symlink-one-up", TestBundle.minimal().dir("modules").symlink("modules/x", "../.."), "outside the bundle"),
                Arguments.of("chained-symlink-escape", TestBundle.minimal()
                        .dir("modules/d").symlink("modules/d/s", "..").symlink("modules/e", "d/s/../.."), "outside the bundle"),
                Arguments.of("symlink-loop", TestBundle.minimal().symlink("modules/a", "b").symlink("modules/b", "a"), "loops"),
                Arguments.of("hardlink", TestBundle.minimal().hardlink("modules/h", "vmlinux"), "hardlinks"),
                Arguments.of("char-device", TestBundle.minimal().special("modules/null", TarConstants.LF_CHR), "character devices"),
                Arguments.of("block-device", TestBundle.minimal().special("modules/sda", TarConstants.LF_BLK), "block devices"),
                Arguments.of("fifo", TestBundle.minimal().special("modules/fifo", TarConstants.LF_FIFO), "fifos"),
                Arguments.of("through-dot-symlink", TestBundle.minimal().symlink("modules/l", ".").file("modules/l/file", DATA, 0644),
                        "through the symlink 'modules/l'"),
                Arguments.of("through-dir-symlink", TestBundle.minimal().dir("modules/sub").symlink("modules/l", "sub")
                        .file("modules/l/evil", DATA, 0644), "through the symlink 'modules/l'"),
                Arguments.of("file-over-symlink", TestBundle.minimal().symlink("modules/l", "../vmlinux")
                        .file("modules/l", DATA, 0644), "twice"),
                Arguments.of("duplicate-vmlinux", TestBundle.minimal().file("vmlinux", TestBundle.elf(64, 2), 0644), "twice"),
                Arguments.of("unexpected-top-level", TestBundle.minimal().file("etc/passwd", DATA, 0644), "unexpected top-level name 'etc'"),
                Arguments.of("manifest-in-bundle", TestBundle.minimal().file("manifest.json", DATA, 0644), "unexpected top-level name"),
                Arguments.of("vmlinux-dir", new TestBundle().dir("vmlinux").file("vmlinux/x", DATA, 0644), "must be a regular file"),
                Arguments.of("vmlinux-symlink", new TestBundle().file("modules/k", DATA, 0644).symlink("vmlinux", "modules/k"),
                        "must be a regular file"),
                Arguments.of("modules-symlink", TestBundle.minimal().symlink("modules", "."), "modules must be a directory"),
                Arguments.of("control-char", TestBundle.minimal().file("modules/a\nb", DATA, 0644), "control character"),
                Arguments.of("no-vmlinux", new TestBundle().file("initrd.img", DATA, 0644), "no vmlinux"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malicious")
    void refusesMaliciousBundles(String label, TestBundle bundle, String fragment) throws IOException {
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        assertThatThrownBy(() -> BundleExtractor.extract(new ByteArrayInputStream(bundle.build()), staging))
                .isInstanceOf(IOException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).doesNotContain("\n");
                    if (fragment != null) {
                        assertThat(e.getMessage()).contains(fragment);
                    }
                });
        // Nothing escaped next to the staging directory.
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("staging");
        }
    }

    @Test
    void entryErrorsNameTheEntry() throws IOException {
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        byte[] b = TestBundle.minimal().hardlink("modules/some-link", "vmlinux").build();
        assertThatThrownBy(() -> BundleExtractor.extract(new ByteArrayInputStream(b), staging))
                .isInstanceOf(BundleEntryException.class)
                .hasMessageContaining("'modules/some-link'")
                .extracting(e -> ((BundleEntryException) e).entry()).isEqualTo("modules/some-link");
    }

    @Test
    void lateSymlinkMakesEarlierLinkEscape() throws IOException {
        // modules/e -> d/s/../.. is harmless while d/s is a plain name; once d/s -> .. exists it is not.
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        byte[] b = TestBundle.minimal().dir("modules/d").symlink("modules/e", "d/s/../..").symlink("modules/d/s", "..").build();
        assertThatThrownBy(() -> BundleExtractor.extract(new ByteArrayInputStream(b), staging))
                .isInstanceOf(BundleEntryException.class)
                .hasMessageContaining("outside the bundle");
    }

    @Test
    void extractsStandardBundleWithSanitisedModes() throws IOException {
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        byte[] vmlinux = TestBundle.elf(4096, 7);
        BundleExtractor.extract(new ByteArrayInputStream(TestBundle.standard(vmlinux).build()), staging);

        assertThat(staging.resolve("vmlinux")).hasBinaryContent(vmlinux);
        assertThat(staging.resolve("initrd.img")).hasContent("initrd-bytes");
        assertThat(staging.resolve("modules/kernel/fs/ext4.ko")).hasContent("ext4-module");
        assertThat(Files.readSymbolicLink(staging.resolve("modules/ext4-alias.ko"))).isEqualTo(Path.of("kernel/fs/ext4.ko"));
        Path helper = staging.resolve("modules/helper.sh");
        int mode = (Integer) Files.getAttribute(helper, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertThat(mode & 07777).as("setuid/setgid dropped, exec bit kept, private to the owner").isEqualTo(0700);
        int vmode = (Integer) Files.getAttribute(staging.resolve("vmlinux"), "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertThat(vmode & 07777).isEqualTo(0600);
        int dmode = (Integer) Files.getAttribute(staging.resolve("modules/kernel"), "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertThat(dmode & 07777).isEqualTo(0700);
    }

    @Test
    void sanitisesWorldWritableAndUnreadableModes() throws IOException {
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        byte[] b = new TestBundle().file("vmlinux", TestBundle.elf(64, 1), 0000).file("modules/w", DATA, 01777).build();
        BundleExtractor.extract(new ByteArrayInputStream(b), staging);
        assertThat((Integer) Files.getAttribute(staging.resolve("vmlinux"), "unix:mode") & 07777).isEqualTo(0600);
        assertThat((Integer) Files.getAttribute(staging.resolve("modules/w"), "unix:mode") & 07777).isEqualTo(0700);
    }

    @Test
    void internalSymlinkToTopLevelIsAllowed() throws IOException {
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        byte[] b = TestBundle.minimal().dir("modules/a/b").symlink("modules/a/b/v", "../../../vmlinux")
                .symlink("modules/dangling", "no/such/file").build();
        BundleExtractor.extract(new ByteArrayInputStream(b), staging);
        assertThat(Files.readSymbolicLink(staging.resolve("modules/a/b/v"))).isEqualTo(Path.of("../../../vmlinux"));
        assertThat(staging.resolve("modules/a/b/v")).hasSameBinaryContentAs(staging.resolve("vmlinux"));
    }

    @Test
    void refusesNonEmptyStaging() throws IOException {
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        Files.writeString(staging.resolve("old"), "x");
        assertThatThrownBy(() -> BundleExtractor.extract(new ByteArrayInputStream(TestBundle.minimal().build()), staging))
                .hasMessageContaining("not empty");
    }

    @Test
    void enforcesSizeAndEntryLimits() throws IOException {
        Path a = Files.createDirectory(tmp.resolve("a"));
        byte[] big = new TestBundle().file("vmlinux", TestBundle.elf(3 << 20, 3), 0644).build();
        assertThatThrownBy(() -> BundleExtractor.extract(new ByteArrayInputStream(big), a, 2 << 20, 100))
                .isInstanceOf(BundleEntryException.class).hasMessageContaining("more than 2 MiB");
        Path b = Files.createDirectory(tmp.resolve("b"));
        TestBundle many = TestBundle.minimal();
        for (int i = 0; i < 10; i++) {
            many.file("modules/f" + i, DATA, 0644);
        }
        byte[] manyBytes = many.build();
        assertThatThrownBy(() -> BundleExtractor.extract(new ByteArrayInputStream(manyBytes), b, 1 << 30, 5))
                .isInstanceOf(BundleEntryException.class).hasMessageContaining("more than 5 entries");
    }

    @Test
    void refusesGarbageThatIsNotZstd() throws IOException {
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        assertThatThrownBy(() -> BundleExtractor.extract(new ByteArrayInputStream(TestBundle.minimal().tar()), staging))
                .isInstanceOf(IOException.class);
    }

    @Test
    void leavesCallerStreamOpen() throws IOException {
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        boolean[] closed = {false};
        InputStream in = new ByteArrayInputStream(TestBundle.minimal().build()) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        BundleExtractor.extract(in, staging);
        assertThat(closed[0]).isFalse();
        assertThat(staging.resolve("vmlinux")).exists();
    }

    @Test
    void kernelBundlesRoundTripSkipsUnsafeSymlinks() throws IOException {
        Path kernel = Files.createDirectory(tmp.resolve("kernel"));
        byte[] vmlinux = TestBundle.elf(10_000, 9);
        Files.write(kernel.resolve("vmlinux"), vmlinux);
        Files.writeString(kernel.resolve("initrd.img"), "initrd");
        Files.writeString(kernel.resolve("manifest.json"), "{}");
        Path mods = Files.createDirectories(kernel.resolve("modules/kernel/drivers"));
        Files.writeString(mods.resolve("virtio.ko"), "virtio");
        Files.createSymbolicLink(kernel.resolve("modules/build"), Path.of("/usr/src/linux-headers"));
        Files.createSymbolicLink(kernel.resolve("modules/up"), Path.of("../../outside"));
        Files.createSymbolicLink(kernel.resolve("modules/virtio-link.ko"), Path.of("kernel/drivers/virtio.ko"));
        Files.setPosixFilePermissions(kernel.resolve("initrd.img"), dev.banger.daemon.fs.PosixModes.permissions(0755));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        KernelBundles.write(kernel, out);
        Path staging = Files.createDirectory(tmp.resolve("staging"));
        BundleExtractor.extract(new ByteArrayInputStream(out.toByteArray()), staging);

        assertThat(staging.resolve("vmlinux")).hasBinaryContent(vmlinux);
        assertThat(staging.resolve("initrd.img")).hasContent("initrd");
        assertThat(Files.isExecutable(staging.resolve("initrd.img"))).isTrue();
        assertThat(staging.resolve("modules/kernel/drivers/virtio.ko")).hasContent("virtio");
        assertThat(Files.readSymbolicLink(staging.resolve("modules/virtio-link.ko"))).isEqualTo(Path.of("kernel/drivers/virtio.ko"));
        assertThat(staging.resolve("modules/build")).doesNotExist();
        assertThat(Files.exists(staging.resolve("modules/up"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(staging.resolve("manifest.json")).doesNotExist();
    }

    @Test
    void kernelBundlesNeedsVmlinux() throws IOException {
        Path kernel = Files.createDirectory(tmp.resolve("kernel"));
        assertThatThrownBy(() -> KernelBundles.write(kernel, new ByteArrayOutputStream()))
                .isInstanceOf(IOException.class).hasMessageContaining("no vmlinux");
    }
}
