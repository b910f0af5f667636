package dev.banger.daemon.kernel;

import dev.banger.daemon.host.HostCommand;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KernelDirImporterTest {
    @TempDir
    Path tmp;

    private KernelEntry shared;
    private Path kernels;
    private Path staged;
    private KernelCatalog catalog;
    private KernelDirImporter importer;
    private final List<String> progress = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        shared = SharedTestKernel.get();
        kernels = tmp.resolve("kernels");
        staged = Files.createDirectory(tmp.resolve("staged"));
        catalog = new KernelCatalog(kernels);
        importer = new KernelDirImporter(catalog, SharedTestKernel.BUSYBOX);
    }

    private KernelEntry importIt(String name) throws IOException, InterruptedException {
        return importer.importDir(name, staged, (stage, detail) -> progress.add(stage + ": " + detail));
    }

    @Test
    void importsFromMetadataJson() throws Exception {
        linkOrCopy(shared.vmlinux(), staged.resolve("k/the-kernel.bin"));
        stageModules(staged.resolve("mods/custom"));
        // A decoy in the glob layout: metadata.json must win over it.
        Files.createDirectories(staged.resolve("boot"));
        Files.writeString(staged.resolve("boot/vmlinux-9.9.9"), "not a kernel");
        Files.writeString(staged.resolve(KernelDirImporter.METADATA), """
                {"kernel": "k/the-kernel.bin", "modules": "./mods/custom", "kernel_version": "6.1.0-56-cloud-amd64",
                 "distro": "debian", "arch": "x86_64"}
                """);
        Map<String, String> before = snapshot(staged);

        KernelEntry k = importIt("meta");

        assertThat(k.name()).isEqualTo("meta");
        assertThat(k.distro()).isEqualTo("debian");
        assertThat(k.arch()).isEqualTo("x86_64");
        assertThat(k.kernelVersion()).isEqualTo("6.1.0-56-cloud-amd64");
        assertThat(k.source()).isEqualTo("dir:" + staged.toAbsolutePath());
        assertThat(k.sha256()).isEqualTo(shared.sha256()).isEqualTo(dev.banger.daemon.fs.Sha256.of(k.vmlinux()));
        assertThat(k.dir()).isEqualTo(kernels.resolve("meta"));
        assertThat(k.modulesDir().resolve("kernel/drivers/virtio/virtio_ring.ko")).isRegularFile();
        assertBangerInitramfs(k);
        assertThat(progress).isNotEmpty().allMatch(p -> p.startsWith("import_kernel: "));
        assertThat(snapshot(staged)).isEqualTo(before);
        assertOnly(kernels, "meta");
    }

    @Test
    void globFallbackBuildsInitramfsAndCopiesModules() throws Exception {
        String ver = shared.kernelVersion();
        linkOrCopy(shared.vmlinux(), staged.resolve("boot/vmlinux-" + ver));
        Path mods = stageModules(staged.resolve("lib/modules/" + ver));
        // A distro initramfs next to it is ignored: banger builds its own from the modules.
        Files.writeString(staged.resolve("boot/initrd.img-" + ver), "distro initramfs");
        // Links: one relative inside the tree (kept), one absolute and one escaping (both dropped).
        Files.createSymbolicLink(mods.resolve("builtin.link"), Path.of("modules.builtin"));
        Files.createSymbolicLink(mods.resolve("build"), Path.of("/usr/src/linux-headers-" + ver));
        Files.createSymbolicLink(mods.resolve("escape"), Path.of("../../../../etc"));
        Map<String, String> before = snapshot(staged);

        KernelEntry k = importIt("globbed");

        assertThat(k.kernelVersion()).isEqualTo(ver);
        assertThat(k.distro()).isEqualTo("unknown");
        assertThat(k.arch()).isEqualTo("x86_64");
        assertThat(k.sha256()).isEqualTo(shared.sha256());
        assertBangerInitramfs(k);
        assertThat(Files.readAllBytes(k.modulesDir().resolve("modules.builtin")))
                .isEqualTo(Files.readAllBytes(mods.resolve("modules.builtin")));
        assertThat(k.modulesDir().resolve("kernel/drivers/block/virtio_blk.ko")).isRegularFile();
        assertThat(k.modulesDir().resolve("modules.dep")).as("depmod ran on the copy").isRegularFile();
        assertThat(Files.isSymbolicLink(k.modulesDir().resolve("builtin.link"))).isTrue();
        assertThat(Files.readSymbolicLink(k.modulesDir().resolve("builtin.link"))).isEqualTo(Path.of("modules.builtin"));
        assertThat(k.modulesDir().resolve("build")).doesNotExist();
        assertThat(Files.exists(k.modulesDir().resolve("escape"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(progress).anyMatch(p -> p.contains("skipped 2"));
        // The user's directory is untouched (depmod ran on the copy, modules were copied not moved).
        assertThat(snapshot(staged)).isEqualTo(before);
        assertThat(mods.resolve("modules.dep")).doesNotExist();
        assertOnly(kernels, "globbed");
    }

    @Test
    void vmlinuzIsDecompressedToElf() throws Exception {
        String ver = shared.kernelVersion();
        Path vmlinuz = staged.resolve("boot/vmlinuz-" + ver);
        Files.createDirectories(vmlinuz.getParent());
        compressAsBzImage(shared.vmlinux(), vmlinuz);
        assertThat(KernelFiles.isElf64(vmlinuz)).isFalse();

        KernelEntry k = importIt("z");

        assertThat(KernelFiles.isElf64(k.vmlinux())).isTrue();
        assertThat(Files.mismatch(k.vmlinux(), shared.vmlinux())).isEqualTo(-1L);
        assertThat(k.sha256()).isEqualTo(dev.banger.daemon.fs.Sha256.of(k.vmlinux())).isEqualTo(shared.sha256());
        assertThat(k.kernelVersion()).isEqualTo(ver);
        // No modules and no initrd: still a catalog entry, but without initrd.img, and the user is told.
        assertThat(k.initrd()).doesNotExist();
        assertThat(k.modulesDir()).doesNotExist();
        assertThat(progress).anyMatch(p -> p.contains("cannot boot"));
        assertOnly(kernels, "z");
    }

    @Test
    void newestOfSeveralModuleDirsIsChosen() throws Exception {
        // A bare top-level vmlinux has no version suffix, so the modules dir decides (numerically: 56 > 10 > 9).
        linkOrCopy(shared.vmlinux(), staged.resolve("vmlinux"));
        Files.createDirectories(staged.resolve("lib/modules/6.1.0-9-cloud-amd64"));
        Files.createDirectories(staged.resolve("lib/modules/6.1.0-10-cloud-amd64"));
        stageModules(staged.resolve("lib/modules/6.1.0-56-cloud-amd64"));
        Files.createDirectories(staged.resolve("lib/modules/5.10.0-99-amd64"));

        KernelEntry k = importIt("newest");

        assertThat(k.kernelVersion()).isEqualTo("6.1.0-56-cloud-amd64");
        assertBangerInitramfs(k);
    }

    @Test
    void moduleDirMatchingTheKernelSuffixBeatsANewerOne() throws Exception {
        String ver = shared.kernelVersion();
        linkOrCopy(shared.vmlinux(), staged.resolve("boot/vmlinux-" + ver));
        stageModules(staged.resolve("lib/modules/" + ver));
        Files.createDirectories(staged.resolve("lib/modules/7.0.0-1-amd64"));

        KernelEntry k = importIt("match");

        assertThat(k.kernelVersion()).isEqualTo(ver);
        assertBangerInitramfs(k);
    }

    @Test
    void mismatchedModulesAreUsedWithAWarning() throws Exception {
        linkOrCopy(shared.vmlinux(), staged.resolve("boot/vmlinux-6.1.0-renamed"));
        stageModules(staged.resolve("lib/modules/" + shared.kernelVersion()));

        KernelEntry k = importIt("mismatch");

        assertThat(k.kernelVersion()).isEqualTo("6.1.0-renamed");
        assertBangerInitramfs(k);
        assertThat(progress).anyMatch(p -> p.contains("warning") && p.contains("do not match"));
    }

    @Test
    void versionsCompareNumerically() {
        assertThat(KernelDirImporter.compareVersions("6.1.0-56-cloud-amd64", "6.1.0-9-cloud-amd64")).isPositive();
        assertThat(KernelDirImporter.compareVersions("6.10.0", "6.9.12")).isPositive();
        assertThat(KernelDirImporter.compareVersions("6.1.0", "6.1.0-1")).isNegative();
        assertThat(KernelDirImporter.compareVersions("6.1.0", "6.1.0")).isZero();
    }

    @Test
    void stagedInitrdIsCopiedWhenThereAreNoModules() throws Exception {
        linkOrCopy(shared.vmlinux(), staged.resolve("boot/vmlinux-6.1.0-custom"));
        Files.writeString(staged.resolve("boot/initramfs-6.1.0-custom.img"), "my own initramfs with busybox");

        KernelEntry k = importIt("own-initrd");

        assertThat(k.kernelVersion()).isEqualTo("6.1.0-custom");
        assertThat(Files.readString(k.initrd())).isEqualTo("my own initramfs with busybox");
        assertThat(progress).anyMatch(p -> p.contains("busybox"));
    }

    @Test
    void missingKernelIsAClearErrorAndLeavesNothing() throws Exception {
        stageModules(staged.resolve("lib/modules/6.1.0-56-cloud-amd64"));
        Files.createDirectories(staged.resolve("boot"));
        Files.writeString(staged.resolve("boot/config-6.1.0-56-cloud-amd64"), "CONFIG_X=y");

        assertThatThrownBy(() -> importIt("none"))
                .satisfies(DebKernelImporterTest::isInvalidInput)
                .hasMessage("no kernel found in " + staged.toAbsolutePath()
                        + " (expected metadata.json, boot/vmlinux-*, boot/vmlinuz-* or vmlinux)");
        assertEmpty(kernels);
    }

    @Test
    void failureAfterStagingLeavesNothing() throws Exception {
        // The kernel is fine, the modules tree has no kernel/ dir: fails while building the initramfs.
        linkOrCopy(shared.vmlinux(), staged.resolve("boot/vmlinux-6.1.0-56-cloud-amd64"));
        Files.createDirectories(staged.resolve("lib/modules/6.1.0-56-cloud-amd64"));
        Files.writeString(staged.resolve("lib/modules/6.1.0-56-cloud-amd64/modules.builtin"), "");

        assertThatThrownBy(() -> importIt("broken")).isInstanceOf(IOException.class).hasMessageContaining("kernel/");
        assertEmpty(kernels);
    }

    @Test
    void aMissingDirectoryIsInvalidInput() throws Exception {
        Path absent = tmp.resolve("absent");
        assertThatThrownBy(() -> importer.importDir("gone", absent, (stage, detail) -> { }))
                .satisfies(DebKernelImporterTest::isInvalidInput)
                .hasMessage("not a directory: " + absent.toAbsolutePath());
        assertThatThrownBy(() -> importer.importDir("gone", null, (stage, detail) -> { }))
                .satisfies(DebKernelImporterTest::isInvalidInput);
        assertEmpty(kernels);
    }

    @Test
    void vmlinuxThatIsNotElfIsRefused() throws Exception {
        Files.writeString(staged.resolve("vmlinux"), "plain text");
        assertThatThrownBy(() -> importIt("notelf")).satisfies(DebKernelImporterTest::isInvalidInput)
                .hasMessageContaining("not a 64-bit ELF");
        assertEmpty(kernels);
    }

    @Test
    void metadataPathsMustStayInsideTheDirectory() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        linkOrCopy(shared.vmlinux(), outside.resolve("vmlinux"));
        stageModules(outside.resolve("modules"));
        linkOrCopy(shared.vmlinux(), staged.resolve("vmlinux"));
        Files.createSymbolicLink(staged.resolve("kernel-link"), outside.resolve("vmlinux"));
        Files.createSymbolicLink(staged.resolve("mods-link"), Path.of("../outside/modules"));
        Files.createSymbolicLink(staged.resolve("innocent"), Path.of("vmlinux"));

        assertMetadataRefused("{\"kernel\": \"../outside/vmlinux\"}", "\"kernel\"", "outside the directory");
        assertMetadataRefused("{\"kernel\": \"sub/../../outside/vmlinux\"}", "\"kernel\"", "outside the directory");
        assertMetadataRefused("{\"kernel\": \"" + outside.resolve("vmlinux") + "\"}", "\"kernel\"", "relative");
        assertMetadataRefused("{\"kernel\": \"kernel-link\"}", "\"kernel\"", "through a symlink");
        assertMetadataRefused("{\"kernel\": \"vmlinux\", \"modules\": \"mods-link\"}", "\"modules\"", "through a symlink");
        assertMetadataRefused("{\"kernel\": \"vmlinux\", \"initrd\": \"../outside/vmlinux\"}", "\"initrd\"", "outside");
        assertMetadataRefused("{\"kernel\": \"missing\"}", "\"kernel\"", "missing");
        assertMetadataRefused("{\"modules\": \"x\"}", "\"kernel\"", "required");
        assertMetadataRefused("{\"kernel\": \"vmlinux\", \"initramfs\": \"x\"}", "initramfs", "unknown field");
        assertMetadataRefused("{\"kernel\": \"vmlinux\", \"kernel_version\": \"../x\"}", "kernel_version", "unexpected");
        assertMetadataRefused("{\"kernel\": 42}", "\"kernel\"", "string");

        // A symlink that stays inside is fine.
        Files.writeString(staged.resolve(KernelDirImporter.METADATA), "{\"kernel\": \"innocent\"}");
        KernelEntry k = importIt("inside");
        assertThat(k.sha256()).isEqualTo(shared.sha256());
        assertThat(k.kernelVersion()).isEqualTo("unknown");
    }

    private void assertMetadataRefused(String json, String field, String why) throws Exception {
        Files.writeString(staged.resolve(KernelDirImporter.METADATA), json);
        assertThatThrownBy(() -> importIt("bad"))
                .as(json)
                .satisfies(DebKernelImporterTest::isInvalidInput)
                .hasMessageContaining(field)
                .hasMessageContaining(why)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertEmpty(kernels);
    }

    @Test
    void globbedKernelSymlinkedOutOfTheDirectoryIsRefused() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        linkOrCopy(shared.vmlinux(), outside.resolve("vmlinux"));
        Files.createDirectories(staged.resolve("boot"));
        Files.createSymbolicLink(staged.resolve("boot/vmlinux-6.1"), outside.resolve("vmlinux"));
        assertThatThrownBy(() -> importIt("out")).satisfies(DebKernelImporterTest::isInvalidInput)
                .hasMessageContaining("outside the directory");
        assertEmpty(kernels);
    }

    @Test
    void existingNameIsRefused() throws Exception {
        linkOrCopy(shared.vmlinux(), staged.resolve("vmlinux"));
        KernelEntry first = importIt("dup");
        assertThatThrownBy(() -> importIt("dup"))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("kernel dup already exists");
        assertThat(catalog.find("dup")).contains(first);
        assertOnly(kernels, "dup");
        assertThatThrownBy(() -> importIt("../dup")).satisfies(DebKernelImporterTest::isInvalidInput);
    }

    @Test
    void roundTripThroughTheCatalog() throws Exception {
        String ver = shared.kernelVersion();
        // The whole real modules tree, as a distro would stage it.
        linkOrCopy(shared.vmlinux(), staged.resolve("boot/vmlinux-" + ver));
        KernelDirImporter.copyTree(shared.modulesDir(), staged.resolve("lib/modules/" + ver));

        KernelEntry k = importIt("rt");

        assertThat(catalog.find("rt")).contains(k);
        assertThat(catalog.list()).containsExactly(k);
        assertBangerInitramfs(k);
        catalog.remove("rt");
        assertThat(catalog.find("rt")).isEmpty();
        assertEmpty(kernels);
        assertThat(staged.resolve("boot/vmlinux-" + ver)).isRegularFile();
    }

    // ---- helpers ----

    /** Only the modules the base initramfs needs, plus modules.builtin: a realistic but small lib/modules/VER. */
    private Path stageModules(Path dest) throws IOException {
        Path src = shared.modulesDir();
        List<String> wanted = InitramfsModules.all();
        try (Stream<Path> s = Files.walk(src.resolve("kernel"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String f = p.getFileName().toString();
                String mod = f.replaceAll("\\.ko(\\.xz|\\.zst)?$", "");
                if (!mod.equals(f) && wanted.contains(mod)) {
                    Path d = dest.resolve(src.relativize(p).toString());
                    Files.createDirectories(d.getParent());
                    Files.copy(p, d);
                }
            }
        }
        Files.copy(src.resolve("modules.builtin"), dest.resolve("modules.builtin"));
        return dest;
    }

    private static void linkOrCopy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        try {
            Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, to);
        }
    }

    /** A bzImage look-alike: a setup stub, the ELF as a legacy lz4 stream (what Debian 12 uses), a trailer. */
    private static void compressAsBzImage(Path elf, Path out) throws IOException, InterruptedException {
        Path lz4 = out.resolveSibling("payload.lz4");
        HostCommand.of(List.of("lz4", "-l", "-c"), Duration.ofMinutes(2)).stdin(elf).stdoutTo(lz4).run();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(new byte[] {'M', 'Z', 1, 2, 3, 4, 5, 6});
        b.write(Files.readAllBytes(lz4));
        b.write(new byte[] {0x10, 0, 0, 0, 9, 9, 9, 9});
        Files.delete(lz4);
        try (OutputStream os = Files.newOutputStream(out)) {
            b.writeTo(os);
        }
    }

    private static void assertBangerInitramfs(KernelEntry k) throws IOException {
        assertThat(k.initrd()).isRegularFile();
        String modules = null;
        boolean busybox = false;
        try (InputStream in = Files.newInputStream(k.initrd()); CpioArchiveInputStream cpio = new CpioArchiveInputStream(in)) {
            for (CpioArchiveEntry e; (e = cpio.getNextCPIOEntry()) != null; ) {
                if (e.getName().equals("etc/banger/modules")) {
                    modules = new String(cpio.readAllBytes(), StandardCharsets.UTF_8);
                } else if (e.getName().equals("bin/busybox")) {
                    busybox = true;
                }
            }
        }
        assertThat(busybox).as("bin/busybox in initrd.img").isTrue();
        assertThat(modules).isNotNull();
        assertThat(modules.lines().toList()).contains("virtio_ring", "virtio_blk", "virtio_net", "virtio_console");
    }

    /** Relative path → content hash or link target, without following links. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String rel = root.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    out.put(rel, "link:" + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.put(rel, "dir");
                } else {
                    out.put(rel, dev.banger.daemon.fs.Sha256.of(p) + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS));
                }
            }
        }
        return out;
    }

    private static void assertOnly(Path kernels, String name) throws IOException {
        try (Stream<Path> s = Files.list(kernels)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(name);
        }
    }

    private static void assertEmpty(Path kernels) throws IOException {
        if (!Files.exists(kernels)) {
            return;
        }
        try (Stream<Path> s = Files.list(kernels)) {
            assertThat(s).isEmpty();
        }
    }
}
