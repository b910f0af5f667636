package dev.banger.daemon.kernel;

import dev.banger.daemon.host.HostCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VmlinuxExtractorTest {
    @TempDir
    Path tmp;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void findsXzPayloadBetweenSetupCodeAndTrailer() throws Exception {
        byte[] elf = fakeElf();
        Path raw = Files.write(tmp.resolve("raw"), elf);
        Path xz = tmp.resolve("raw.xz");
        HostCommand.of(List.of("xz", "-c", "--check=crc32"), TIMEOUT).stdin(raw).stdoutTo(xz).run();
        ByteArrayOutputStream bz = new ByteArrayOutputStream();
        bz.write(new byte[] {'M', 'Z', 1, 2, 3, 4, 5, 6, 7});
        bz.write(Files.readAllBytes(xz));
        bz.write("trailer-that-is-not-xz".getBytes());
        Path vmlinuz = Files.write(tmp.resolve("vmlinuz-test"), bz.toByteArray());

        Path out = tmp.resolve("vmlinux");
        new VmlinuxExtractor(TIMEOUT).extract(vmlinuz, out);
        assertThat(Files.readAllBytes(out)).isEqualTo(elf);
    }

    @Test
    void decodesMultiBlockLz4LegacyPayload() throws Exception {
        // Debian 12 kernels use CONFIG_KERNEL_LZ4: legacy frames of 8 MiB blocks with no end marker.
        byte[] elf = java.util.Arrays.copyOf(fakeElf(), (9 << 20) + 123);
        new java.util.Random(7).nextBytes(java.nio.ByteBuffer.wrap(elf, 1 << 20, 1 << 16).array());
        System.arraycopy(fakeElf(), 0, elf, 0, 5);
        Path raw = Files.write(tmp.resolve("raw"), elf);
        Path lz4 = tmp.resolve("raw.lz4");
        HostCommand.of(List.of("lz4", "-l", "-c"), TIMEOUT).stdin(raw).stdoutTo(lz4).run();
        ByteArrayOutputStream bz = new ByteArrayOutputStream();
        bz.write(new byte[] {'M', 'Z', 9, 9, 9});
        bz.write(Files.readAllBytes(lz4));
        bz.write(new byte[] {0x10, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        Path vmlinuz = Files.write(tmp.resolve("vmlinuz-lz4"), bz.toByteArray());

        Path out = tmp.resolve("vmlinux");
        new VmlinuxExtractor(TIMEOUT).extract(vmlinuz, out);
        assertThat(Files.readAllBytes(out)).isEqualTo(elf);
    }

    @Test
    void failsWithoutPayloadAndLeavesNoOutput() throws Exception {
        Path vmlinuz = Files.write(tmp.resolve("vmlinuz-junk"), "just some bytes".getBytes());
        Path out = tmp.resolve("vmlinux");
        assertThatThrownBy(() -> new VmlinuxExtractor(TIMEOUT).extract(vmlinuz, out)).hasMessageContaining("no ELF vmlinux");
        assertThat(out).doesNotExist();
    }

    @Test
    void metapackageDependencyIsFollowed() {
        assertThat(DebPackage.kernelDependency("linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)"))
                .isEqualTo("linux-image-6.1.0-56-cloud-amd64");
        assertThat(DebPackage.kernelDependency("kmod, linux-base (>= 4.3~) | foo, linux-image-6.1.0-9-amd64"))
                .isEqualTo("linux-image-6.1.0-9-amd64");
        assertThat(DebPackage.kernelDependency("libc6")).isNull();
    }

    private static byte[] fakeElf() {
        byte[] b = new byte[4096];
        b[0] = 0x7F;
        b[1] = 'E';
        b[2] = 'L';
        b[3] = 'F';
        b[4] = 2;
        for (int i = 5; i < b.length; i++) {
            b[i] = (byte) (i * 31);
        }
        return b;
    }
}
