package dev.banger.daemon.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KernelCatalogTest {
    @TempDir
    Path kernels;

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "../etc", "a/b", "a b", ".hidden", "x\n", "ünï"})
    void rejectsBadNames(String name) {
        assertThatThrownBy(() -> KernelCatalog.validateName(name))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").isNotBlank());
    }

    @Test
    void rejectsNullAndTooLong() {
        assertThatThrownBy(() -> KernelCatalog.validateName(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KernelCatalog.validateName("a".repeat(65))).isInstanceOf(IllegalArgumentException.class);
        assertThatCode(() -> KernelCatalog.validateName("a".repeat(64))).doesNotThrowAnyException();
    }

    @Test
    void acceptsOrdinaryNames() {
        for (String n : new String[] {"cloud", "debian-6.1.0_56", "A.b-C_9", "x"}) {
            assertThatCode(() -> KernelCatalog.validateName(n)).doesNotThrowAnyException();
        }
    }

    @Test
    void findRejectsTraversal() {
        KernelCatalog catalog = new KernelCatalog(kernels);
        assertThatThrownBy(() -> catalog.find("../x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> catalog.remove("..")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void manifestRoundTripIsAtomicAndExact() throws Exception {
        KernelEntry e = put("k1", Instant.parse("2026-11-22T10:15:30.123456789Z"));
        assertThat(new KernelCatalog(kernels).find("k1")).contains(e);
        try (Stream<Path> files = Files.list(e.dir())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("manifest.json");
        }
        String json = Files.readString(e.dir().resolve("manifest.json"));
        assertThat(json).contains("\"kernel_version\"", "\"imported_at\" : \"2026-11-22T10:15:30.123456789Z\"", "\"sha256\"");
        assertThat(e.vmlinux()).isEqualTo(e.dir().resolve("vmlinux"));
        assertThat(e.initrd()).isEqualTo(e.dir().resolve("initrd.img"));
        assertThat(e.modulesDir()).isEqualTo(e.dir().resolve("modules"));
    }

    @Test
    void listIsSortedAndSkipsStagingAndIncompleteDirs() throws Exception {
        put("zeta", Instant.EPOCH);
        put("alpha", Instant.EPOCH);
        put("mid", Instant.EPOCH);
        Files.createDirectories(kernels.resolve(".beta.tmp-123"));
        Files.createDirectories(kernels.resolve("nomanifest"));
        Files.writeString(Files.createDirectories(kernels.resolve("broken")).resolve("manifest.json"), "{not json");
        assertThat(new KernelCatalog(kernels).list()).extracting(KernelEntry::name).containsExactly("alpha", "mid", "zeta");
    }

    @Test
    void listOfMissingDirIsEmpty() throws Exception {
        assertThat(new KernelCatalog(kernels.resolve("absent")).list()).isEmpty();
    }

    @Test
    void removeDeletesWholeEntryAndComplainsWhenAbsent() throws Exception {
        KernelEntry e = put("gone", Instant.EPOCH);
        Files.createDirectories(e.modulesDir().resolve("kernel/drivers"));
        Files.writeString(e.modulesDir().resolve("kernel/drivers/x.ko"), "x");
        KernelCatalog catalog = new KernelCatalog(kernels);
        catalog.remove("gone");
        assertThat(catalog.find("gone")).isEmpty();
        try (Stream<Path> left = Files.list(kernels)) {
            assertThat(left).isEmpty();
        }
        assertThatThrownBy(() -> catalog.remove("gone")).isInstanceOf(NoSuchFileException.class);
    }

    private KernelEntry put(String name, Instant at) throws Exception {
        Path dir = Files.createDirectories(kernels.resolve(name));
        KernelEntry e = new KernelEntry(name, "debian", "x86_64", "6.1.0-56-cloud-amd64", "ab".repeat(32),
                "file:/x.deb", at, dir);
        Manifest.write(e);
        return e;
    }
}
