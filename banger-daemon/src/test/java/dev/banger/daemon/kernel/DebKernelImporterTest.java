package dev.banger.daemon.kernel;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DebKernelImporterTest {
    @TempDir
    Path tmp;

    @Test
    void bogusDebLeavesNothingBehind() throws Exception {
        Path kernels = tmp.resolve("kernels");
        Path bogus = Files.writeString(tmp.resolve("bogus.deb"), "this is not an ar archive");
        DebKernelImporter importer = new DebKernelImporter(new KernelCatalog(kernels), kernels, SharedTestKernel.BUSYBOX);
        List<String> progress = new ArrayList<>();
        assertThatThrownBy(() -> importer.importDeb("bogus", bogus.toString(), (s, d) -> progress.add(d)))
                .isInstanceOf(java.io.IOException.class);
        assertEmpty(kernels);
    }

    @Test
    void debWithoutKernelLeavesNothingBehind() throws Exception {
        // A real but kernel-less package: the metapackage itself, passed as a file.
        Path meta = SharedTestKernel.debCache().resolve(SharedTestKernel.PACKAGE + ".deb");
        SharedTestKernel.get();
        Path kernels = tmp.resolve("kernels");
        DebKernelImporter importer = new DebKernelImporter(new KernelCatalog(kernels), kernels, SharedTestKernel.BUSYBOX);
        assertThatThrownBy(() -> importer.importDeb("meta", meta.toString(), (s, d) -> { }))
                .satisfies(DebKernelImporterTest::isInvalidInput)
                .hasMessageContaining("boot/");
        assertEmpty(kernels);
    }

    @Test
    void missingFileAndBadPackageNameAreRejected() throws Exception {
        Path kernels = tmp.resolve("kernels");
        DebKernelImporter importer = new DebKernelImporter(new KernelCatalog(kernels), kernels, SharedTestKernel.BUSYBOX);
        assertThatThrownBy(() -> importer.importDeb("x", tmp.resolve("absent.deb").toString(), (s, d) -> { }))
                .satisfies(DebKernelImporterTest::isInvalidInput)
                .hasMessageContaining("no such .deb");
        assertThatThrownBy(() -> importer.importDeb("x", "Bad Name!", (s, d) -> { }))
                .satisfies(DebKernelImporterTest::isInvalidInput)
                .hasMessageContaining("not a .deb path or Debian package name");
        assertThatThrownBy(() -> importer.importDeb("x", " ", (s, d) -> { }))
                .satisfies(DebKernelImporterTest::isInvalidInput);
        assertThatThrownBy(() -> importer.importDeb("../x", "linux-image-amd64", (s, d) -> { }))
                .satisfies(DebKernelImporterTest::isInvalidInput);
        assertEmpty(kernels);
    }

    @Test
    void realImportOfCloudKernel() throws Exception {
        KernelEntry k = SharedTestKernel.get();
        assertThat(k.name()).isEqualTo("cloud");
        assertThat(k.distro()).isEqualTo("debian");
        assertThat(k.arch()).isEqualTo("x86_64");
        assertThat(k.kernelVersion()).matches("6\\.1\\.0-\\d+-cloud-amd64");
        assertThat(k.source()).startsWith("apt:linux-image-6.1.0-").contains("-cloud-amd64=");
        assertThat(k.sha256()).isEqualTo(dev.banger.daemon.fs.Sha256.of(k.vmlinux()));
        assertThat(KernelFiles.isElf64(k.vmlinux())).isTrue();
        assertThat(k.modulesDir().resolve("kernel/drivers/virtio/virtio_ring.ko")).isRegularFile();
        assertThat(k.modulesDir().resolve("modules.dep")).isRegularFile();
        assertThat(new KernelCatalog(k.dir().getParent()).list()).containsExactly(k);
        try (Stream<Path> s = Files.list(k.dir().getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("cloud");
        }
        assertThat(SharedTestKernel.progress()).allMatch(p -> p.startsWith("import_kernel: "))
                .anyMatch(p -> p.contains("download")).anyMatch(p -> p.contains("extracting"))
                .anyMatch(p -> p.contains("initramfs"));

        Map<String, CpioArchiveEntry> entries = new LinkedHashMap<>();
        String moduleList = null;
        byte[] busybox = null;
        try (InputStream in = Files.newInputStream(k.initrd()); CpioArchiveInputStream cpio = new CpioArchiveInputStream(in)) {
            for (CpioArchiveEntry e; (e = cpio.getNextCPIOEntry()) != null; ) {
                entries.put(e.getName(), e);
                if (e.getName().equals("etc/banger/modules")) {
                    moduleList = new String(cpio.readAllBytes(), StandardCharsets.UTF_8);
                } else if (e.getName().equals("bin/busybox")) {
                    busybox = cpio.readAllBytes();
                }
            }
        }
        assertThat(busybox).isEqualTo(Files.readAllBytes(SharedTestKernel.BUSYBOX));
        assertThat(entries.get("bin/busybox").getMode() & 0777).isEqualTo(0755);
        assertThat(entries.get("bin/sh").isSymbolicLink()).isTrue();
        assertThat(entries.get("bin/switch_root").isSymbolicLink()).isTrue();
        assertThat(entries).doesNotContainKey("init");
        for (String d : List.of("proc", "sys", "dev", "newroot", "run", "tmp")) {
            assertThat(entries.get(d).isDirectory()).as(d).isTrue();
        }
        // The cloud flavour builds ext4 and its helpers in; the virtio drivers and vsock are modules.
        List<String> expected = new ArrayList<>(List.of("virtio_ring", "virtio", "virtio_mmio", "virtio_pci_modern_dev",
                "virtio_pci_legacy_dev", "virtio_pci", "virtio_blk", "failover", "net_failover", "virtio_net", "virtio_console"));
        for (String m : List.of("crc16", "mbcache", "jbd2", "crc32c_generic", "ext4")) {
            if (Files.exists(k.modulesDir().resolve("kernel")) && moduleFileExists(k.modulesDir(), m)) {
                expected.add(m);
            }
        }
        expected.addAll(List.of("vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport"));
        assertThat(moduleList).isNotNull();
        assertThat(moduleList.lines().toList()).containsExactlyElementsOf(expected);
        for (String m : expected) {
            CpioArchiveEntry e = entries.get("lib/modules/" + m + ".ko");
            assertThat(e).as(m).isNotNull();
            assertThat(e.getSize()).as(m).isPositive();
        }
        // Every entry has its own inode, so the kernel's unpacker never mistakes files for hard links.
        assertThat(entries.values().stream().map(CpioArchiveEntry::getInode).distinct().count()).isEqualTo(entries.size());
    }

    @Test
    void importingAnExistingNameFails() throws Exception {
        KernelEntry k = SharedTestKernel.get();
        Path kernels = k.dir().getParent();
        DebKernelImporter importer = new DebKernelImporter(new KernelCatalog(kernels), kernels, SharedTestKernel.BUSYBOX);
        assertThatThrownBy(() -> importer.importDeb("cloud", "/nonexistent/x.deb", (s, d) -> { }))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(k.vmlinux()).isRegularFile();
    }

    private static boolean moduleFileExists(Path modules, String name) throws Exception {
        try (Stream<Path> s = Files.walk(modules.resolve("kernel"))) {
            return s.anyMatch(p -> p.getFileName().toString().matches(java.util.regex.Pattern.quote(name) + "\\.ko(\\.xz|\\.zst)?"));
        }
    }

    private static void assertEmpty(Path kernels) throws Exception {
        if (!Files.exists(kernels)) {
            return;
        }
        try (Stream<Path> s = Files.list(kernels)) {
            assertThat(s).isEmpty();
        }
    }

    /** A user's mistake, answered as invalid input (not a generic failure, not a JDK exception). */
    static void isInvalidInput(Throwable t) {
        assertThat(t).isInstanceOf(RpcException.class);
        assertThat(((RpcException) t).code()).isEqualTo(RpcErrors.INVALID_PARAMS);
        assertThat(t.getMessage()).doesNotContain("\n");
    }
}
