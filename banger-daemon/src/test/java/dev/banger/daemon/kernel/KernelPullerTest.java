package dev.banger.daemon.kernel;

import dev.banger.daemon.fetch.TestHttpServer;
import dev.banger.daemon.fetch.TestPayloads;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KernelPullerTest {
    private static final String SHA_ZERO = "0".repeat(64);

    @TempDir
    Path tmp;

    private Path kernelsDir;
    private KernelCatalog catalog;
    @RegisterExtension
    final TestHttpServer server = TestHttpServer.perTest();
    private final HttpClient http = server.http();
    private final List<String> reports = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        kernelsDir = tmp.resolve("kernels");
        catalog = new KernelCatalog(kernelsDir);
    }

    private KernelPuller puller() {
        return new KernelPuller(catalog, http);
    }

    private KernelEntry pull(CatalogEntry e, boolean force) throws Exception {
        return puller().pull(e, force, (stage, detail) -> reports.add(stage + ": " + detail));
    }

    private CatalogEntry entry(String name, String version, String url, byte[] bundle) {
        return new CatalogEntry(name, "debian", "x86_64", version, url, TestBundle.sha256(bundle), bundle.length, "test kernel");
    }

    private CatalogEntry served(String name, byte[] bundle) {
        return entry(name, "6.1.0-test", server.serve("/" + name + ".tar.zst", bundle), bundle);
    }

    /** kernelsDir holds exactly these names (no staging or removal leftovers). */
    private void assertKernelsDirHolds(String... names) throws IOException {
        if (!Files.exists(kernelsDir)) {
            assertThat(names).isEmpty();
            return;
        }
        try (Stream<Path> s = Files.list(kernelsDir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(names);
        }
    }

    @Test
    void pullRoundTrip() throws Exception {
        byte[] vmlinux = TestBundle.elf(200_000, 11);
        byte[] bundle = TestBundle.standard(vmlinux).build();
        CatalogEntry e = served("cloud", bundle);

        KernelEntry k = pull(e, false);

        assertThat(k.name()).isEqualTo("cloud");
        assertThat(k.distro()).isEqualTo("debian");
        assertThat(k.arch()).isEqualTo("x86_64");
        assertThat(k.kernelVersion()).isEqualTo("6.1.0-test");
        assertThat(k.sha256()).isEqualTo(TestBundle.sha256(vmlinux));
        assertThat(k.source()).isEqualTo("pull:" + e.tarballUrl());
        assertThat(k.dir()).isEqualTo(kernelsDir.resolve("cloud"));
        assertThat(k.vmlinux()).hasBinaryContent(vmlinux);
        assertThat(k.initrd()).hasContent("initrd-bytes");
        assertThat(k.modulesDir().resolve("kernel/fs/ext4.ko")).hasContent("ext4-module");
        assertThat(k.modulesDir().resolve("modules.dep")).hasContent("kernel/fs/ext4.ko:");
        assertThat(Files.isSymbolicLink(k.modulesDir().resolve("ext4-alias.ko"))).isTrue();
        // What the catalog reads back from disk matches.
        assertThat(catalog.find("cloud")).contains(k);
        assertThat(catalog.list()).extracting(KernelEntry::name).containsExactly("cloud");
        assertKernelsDirHolds("cloud");
        assertThat(reports).allMatch(r -> r.startsWith("pull_kernel: "));
        assertThat(reports).anyMatch(r -> r.contains("sha256 ok"));
    }

    @Test
    void kernelBundlesOutputPullsBack() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        byte[] vmlinux = TestBundle.elf(50_000, 3);
        Files.write(src.resolve("vmlinux"), vmlinux);
        Files.createDirectories(src.resolve("modules/kernel"));
        Files.writeString(src.resolve("modules/kernel/a.ko"), "a");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        KernelBundles.write(src, out);
        KernelEntry k = pull(served("rebundled", out.toByteArray()), false);
        assertThat(k.vmlinux()).hasBinaryContent(vmlinux);
        assertThat(k.modulesDir().resolve("kernel/a.ko")).hasContent("a");
        assertThat(k.initrd()).doesNotExist();
    }

    @Test
    void sha256MismatchLeavesNothing() throws Exception {
        byte[] bundle = TestBundle.standard(TestBundle.elf(1000, 1)).build();
        String url = server.serve("/k.tar.zst", bundle);
        CatalogEntry e = new CatalogEntry("k", "debian", "x86_64", "6.1", url, SHA_ZERO, bundle.length, "");
        assertThatThrownBy(() -> pull(e, false))
                .isInstanceOf(IOException.class)
                .hasMessage("sha256 mismatch for " + url + ": expected " + SHA_ZERO + ", got " + TestBundle.sha256(bundle));
        assertKernelsDirHolds();
    }

    @Test
    void trailingBytesAfterTheBundleFailAndLeaveNothing() throws Exception {
        byte[] bundle = TestBundle.minimal().build();
        byte[] padded = new byte[bundle.length + 100];
        System.arraycopy(bundle, 0, padded, 0, bundle.length);
        // The catalog describes the padded body, so only the content check can catch it.
        CatalogEntry e = entry("pad", "6.1", server.serve("/pad", padded), padded);
        assertThatThrownBy(() -> pull(e, false)).isInstanceOf(IOException.class).hasMessageContaining("/pad");
        assertKernelsDirHolds();
    }

    static Stream<Arguments> malicious() {
        byte[] d = "x".getBytes(StandardCharsets.UTF_8);
        return Stream.of(
                Arguments.of("dotdot", TestBundle.minimal().file("../escape", d, 0644), "'..'"),
                Arguments.of("absolute", TestBundle.minimal().file("/etc/x", d, 0644), "absolute path"),
                Arguments.of("absolute-symlink", TestBundle.minimal().symlink("modules/abs", "/etc/passwd"), "absolute symlink"),
                Arguments.of("escaping-symlink", TestBundle.minimal().symlink("modules/x", "../../.."), "outside the bundle"),
                Arguments.of("hardlink", TestBundle.minimal().hardlink("modules/h", "vmlinux"), "hardlinks"),
                Arguments.of("char-device", TestBundle.minimal().special("modules/c", TarConstants.LF_CHR), "character devices"),
                Arguments.of("block-device", TestBundle.minimal().special("modules/b", TarConstants.LF_BLK), "block devices"),
                Arguments.of("fifo", TestBundle.minimal().special("modules/f", TarConstants.LF_FIFO), "fifos"),
                Arguments.of("through-symlink", TestBundle.minimal().symlink("modules/l", ".").file("modules/l/file", d, 0644),
                        "through the symlink"),
                Arguments.of("through-dir-symlink", TestBundle.minimal().symlink("modules/l", "../modules")
                        .file("modules/l/file", d, 0644), "through the symlink"),
                Arguments.of("no-vmlinux", new TestBundle().file("initrd.img", d, 0644).dir("modules"), "no vmlinux"),
                Arguments.of("vmlinux-not-elf", new TestBundle().file("vmlinux", "MZ not an elf".getBytes(StandardCharsets.UTF_8), 0644),
                        "not an ELF file"),
                Arguments.of("vmlinux-empty", new TestBundle().file("vmlinux", new byte[0], 0644), "not an ELF file"),
                Arguments.of("unexpected-top-level", TestBundle.minimal().file("boot/vmlinuz", d, 0644), "unexpected top-level"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malicious")
    void refusesMaliciousBundleAndLeavesNothing(String label, TestBundle bundle, String fragment) throws Exception {
        byte[] bytes = bundle.build();
        CatalogEntry e = served("evil", bytes);
        assertThatThrownBy(() -> pull(e, false))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(fragment)
                .satisfies(ex -> assertThat(ex.getMessage()).doesNotContain("\n"));
        assertKernelsDirHolds();
        assertThat(tmp.resolve("escape")).doesNotExist();
        assertThat(kernelsDir.resolve("escape")).doesNotExist();
    }

    @Test
    void existingKernelWithoutForceIsRefusedAndUntouched() throws Exception {
        byte[] v1 = TestBundle.elf(1000, 1);
        KernelEntry first = pull(served("k", TestBundle.standard(v1).build()), false);
        byte[] bundle2 = TestBundle.standard(TestBundle.elf(1000, 2)).build();
        CatalogEntry second = entry("k", "6.2.0", server.serve("/k2", bundle2), bundle2);

        assertThatThrownBy(() -> pull(second, false))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("kernel k is already pulled (use --force to replace it)");
        assertThat(catalog.find("k")).contains(first);
        assertThat(first.vmlinux()).hasBinaryContent(v1);
        assertKernelsDirHolds("k");
    }

    @Test
    void forceReplacesExistingKernel() throws Exception {
        pull(served("k", TestBundle.standard(TestBundle.elf(1000, 1)).build()), false);
        byte[] v2 = TestBundle.elf(2000, 2);
        byte[] bundle2 = new TestBundle().file("vmlinux", v2, 0644).build();
        CatalogEntry second = entry("k", "6.2.0", server.serve("/k2", bundle2), bundle2);

        KernelEntry k = pull(second, true);

        assertThat(k.kernelVersion()).isEqualTo("6.2.0");
        assertThat(k.vmlinux()).hasBinaryContent(v2);
        assertThat(k.sha256()).isEqualTo(TestBundle.sha256(v2));
        // The old kernel's files are gone, not merged.
        assertThat(k.initrd()).doesNotExist();
        assertThat(k.modulesDir()).doesNotExist();
        assertKernelsDirHolds("k");
    }

    @Test
    void failedForcedPullKeepsTheOldKernel() throws Exception {
        byte[] v1 = TestBundle.elf(1000, 1);
        KernelEntry first = pull(served("k", TestBundle.standard(v1).build()), false);
        byte[] bundle2 = TestBundle.minimal().build();
        String url = server.serve("/k2", bundle2);
        CatalogEntry bad = new CatalogEntry("k", "debian", "x86_64", "6.2", url, SHA_ZERO, 0, "");
        assertThatThrownBy(() -> pull(bad, true)).hasMessageContaining("sha256 mismatch");
        assertThat(catalog.find("k")).contains(first);
        assertThat(first.vmlinux()).hasBinaryContent(v1);
        assertKernelsDirHolds("k");
    }

    @Test
    void forceWithoutExistingKernelJustPulls() throws Exception {
        KernelEntry k = pull(served("fresh", TestBundle.minimal().build()), true);
        assertThat(k.vmlinux()).exists();
        assertKernelsDirHolds("fresh");
    }

    @Test
    void interruptedDownloadLeavesNothing() throws Exception {
        // Incompressible, so a 64 KiB prefix of the body is far from the end of the tar.
        byte[] bundle = TestBundle.standard(TestBundle.elf(4 << 20, 4)).build();
        CatalogEntry e = entry("stalled", "6.1", server.stall("/stall.tar.zst", bundle, 64 << 10), bundle);
        Throwable failure = TestPayloads.interruptMidway(server, this::hasStaging, () -> pull(e, false));
        assertThat(failure).isInstanceOf(InterruptedException.class).hasMessage("pull of kernel stalled interrupted");
        assertKernelsDirHolds();
    }

    private boolean hasStaging() {
        if (!Files.isDirectory(kernelsDir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(kernelsDir)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(".stalled.pull-"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
