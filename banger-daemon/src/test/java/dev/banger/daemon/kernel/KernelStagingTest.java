package dev.banger.daemon.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The staging → publish path all three ways into the catalog share. */
class KernelStagingTest {
    @TempDir
    Path tmp;

    private KernelStaging.Filler writing(String content) {
        return dir -> {
            Files.writeString(dir.resolve("vmlinux"), content);
            Files.setPosixFilePermissions(dir.resolve("vmlinux"), PosixFilePermissions.fromString("rw-r--r--"));
            Path modules = Files.createDirectory(dir.resolve("modules"));
            Files.setPosixFilePermissions(modules, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new KernelStaging.Fields("debian", "x86_64", "6.1.0-1", "ab".repeat(32), "test:" + content);
        };
    }

    @Test
    void publishesAPrivateTreeWithItsManifest() throws Exception {
        KernelCatalog catalog = new KernelCatalog(tmp.resolve("kernels"));
        KernelEntry k = new KernelStaging(catalog).stageAndPublish("k", KernelStaging.Kind.IMPORT, false, writing("one"));

        assertThat(catalog.find("k")).contains(k);
        assertThat(k.source()).isEqualTo("test:one");
        assertThat(Files.getPosixFilePermissions(k.dir())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(k.vmlinux())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(k.modulesDir())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(entries(catalog)).containsExactly("k");
    }

    @Test
    void aFailingFillerLeavesNothingBehind() throws Exception {
        KernelCatalog catalog = new KernelCatalog(tmp.resolve("kernels"));
        assertThatThrownBy(() -> new KernelStaging(catalog).stageAndPublish("k", KernelStaging.Kind.PULL, false, dir -> {
            Files.writeString(dir.resolve("vmlinux"), "half");
            throw new IOException("body ended early");
        })).hasMessage("body ended early");
        assertThat(entries(catalog)).isEmpty();
    }

    @Test
    void anExistingKernelIsRefusedUnlessReplaced() throws Exception {
        KernelCatalog catalog = new KernelCatalog(tmp.resolve("kernels"));
        KernelStaging staging = new KernelStaging(catalog);
        staging.stageAndPublish("k", KernelStaging.Kind.IMPORT, false, writing("one"));

        assertThatThrownBy(() -> staging.stageAndPublish("k", KernelStaging.Kind.IMPORT, false, writing("two")))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("kernel k already exists");
        assertThatThrownBy(() -> staging.stageAndPublish("k", KernelStaging.Kind.PULL, false, writing("two")))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("kernel k is already pulled (use --force to replace it)");
        assertThat(catalog.find("k").orElseThrow().source()).isEqualTo("test:one");

        KernelEntry replaced = staging.stageAndPublish("k", KernelStaging.Kind.PULL, true, writing("two"));
        assertThat(replaced.source()).isEqualTo("test:two");
        assertThat(Files.readString(replaced.vmlinux())).isEqualTo("two");
        assertThat(entries(catalog)).as("the replaced kernel is deleted, no staging is left").containsExactly("k");
    }

    @Test
    void aKernelThatAppearsWhileStagingIsNotOverwritten() throws Exception {
        KernelCatalog catalog = new KernelCatalog(tmp.resolve("kernels"));
        KernelStaging staging = new KernelStaging(catalog);
        assertThatThrownBy(() -> staging.stageAndPublish("k", KernelStaging.Kind.IMPORT, false, dir -> {
            Files.createDirectories(catalog.kernelsDir().resolve("k"));   // a peer without the lock
            return writing("late").fill(dir);
        })).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(entries(catalog)).containsExactly("k");
        assertThat(catalog.kernelsDir().resolve("k")).isEmptyDirectory();
    }

    private static List<String> entries(KernelCatalog catalog) throws IOException {
        if (!Files.exists(catalog.kernelsDir())) return List.of();
        try (Stream<Path> s = Files.list(catalog.kernelsDir())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
