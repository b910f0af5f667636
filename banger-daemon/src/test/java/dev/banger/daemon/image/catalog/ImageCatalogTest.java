package dev.banger.daemon.image.catalog;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.daemon.fetch.TestCatalogs;
import dev.banger.daemon.fetch.CatalogFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The image catalog's own fields and messages; reading, document rules and merging are CatalogFileTest's. */
class ImageCatalogTest {
    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);

    @TempDir
    Path tmp;

    private static ObjectNode image(String name, String format, String sha) {
        return TestCatalogs.object("name", name, "kernel_ref", "debian-6.1", "format", format,
                "rootfs_url", "https://example.org/" + name + "." + format, "rootfs_sha256", sha,
                "size_bytes", 1234, "description", "image " + name);
    }

    private static String catalog(int version, ObjectNode... images) {
        return TestCatalogs.document(version, "images", images);
    }

    private Path write(String json) throws IOException {
        Path f = Files.createTempFile(tmp, "catalog", ".json");
        Files.writeString(f, json);
        return f;
    }

    private static ObjectNode with(ObjectNode n, Consumer<ObjectNode> edit) {
        edit.accept(n);
        return n;
    }

    @Test
    void embeddedCatalogIsEmptyForNow() {
        assertThat(ImageCatalog.embedded().entries()).isEmpty();
        assertThat(ImageCatalog.embedded().find("debian-bookworm")).isEmpty();
    }

    @Test
    void loadsFromFileWithEveryFieldAndMerges() throws Exception {
        Path f = write(catalog(1, image("debian-bookworm", "tar.zst", SHA_A), image("alpine", "ext4", SHA_B)));
        CatalogFile<ImageCatalogEntry> c = ImageCatalog.load(f.toString(), null);
        assertThat(c.entries()).extracting(ImageCatalogEntry::name).containsExactly("alpine", "debian-bookworm");
        ImageCatalogEntry e = c.find("debian-bookworm").orElseThrow();
        assertThat(e).isEqualTo(new ImageCatalogEntry("debian-bookworm", "debian-6.1", "tar.zst",
                "https://example.org/debian-bookworm.tar.zst", SHA_A, 1234, "image debian-bookworm"));
        assertThat(e.isTar()).isTrue();
        assertThat(c.find("alpine").orElseThrow().isTar()).isFalse();
        CatalogFile<ImageCatalogEntry> over = ImageCatalog.load(write(catalog(1, image("alpine", "tar", SHA_A))).toString(), null);
        assertThat(ImageCatalog.embedded().with(c).with(over).find("alpine").orElseThrow().format()).isEqualTo("tar");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            bad version      | {"version": 2, "images": []}             | unsupported catalog version 2 (this banger reads version 1)
            kernel key       | {"version": 1, "entries": []}            | missing or non-array "images"
            not an object    | []                                       | expected a JSON object with "version" and "images"
            """)
    void refusesBadDocuments(String what, String json, String message) throws IOException {
        Path f = write(json);
        assertThatThrownBy(() -> ImageCatalog.load(f.toString(), null))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("image catalog " + f + ": ")
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            name upper       | name          | Debian          | invalid image name "Debian"
            name dot first   | name          | .hidden         | invalid image name ".hidden"
            name slash       | name          | a/b             | invalid image name "a/b"
            name too long    | name          | aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | invalid image name
            kernel ref       | kernel_ref    | ../k            | image x: kernel_ref: kernel name may only contain
            format           | format        | tar.xz          | image x: format "tar.xz" is not one of tar.zst, tar.gz, tar, ext4.zst, ext4
            format case      | format        | TAR             | image x: format "TAR" is not one of
            sha short        | rootfs_sha256 | abc             | image x: rootfs_sha256 must be 64 lowercase hex digits
            url scheme       | rootfs_url    | ftp://h/x.tar   | image x: rootfs_url must be an http or https URL
            """)
    void refusesBadEntries(String what, String field, String value, String message) throws IOException {
        Path f = write(catalog(1, image("ok", "tar", SHA_A), with(image("x", "tar", SHA_A), n -> n.put(field, value))));
        assertThatThrownBy(() -> ImageCatalog.load(f.toString(), null))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("image catalog " + f + ": images[1]: ")
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void refusesDuplicatesAndNegativeSizes() throws IOException {
        Path twice = write(catalog(1, image("x", "tar", SHA_A), image("x", "ext4", SHA_B)));
        assertThatThrownBy(() -> ImageCatalog.load(twice.toString(), null))
                .hasMessage("image catalog " + twice + ": images[1]: image x is listed twice");
        Path neg = write(catalog(1, with(image("x", "tar", SHA_A), n -> n.put("size_bytes", -1))));
        assertThatThrownBy(() -> ImageCatalog.load(neg.toString(), null)).hasMessageEndingWith("images[0]: image x: size_bytes must not be negative");
    }

    @Test
    void entryValidatesOnConstruction() {
        assertThatThrownBy(() -> new ImageCatalogEntry("x\u0001", "k", "tar", "https://h/x", SHA_A, 0, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"x\\x01\"");
        assertThat(new ImageCatalogEntry("x", "k", "tar", "https://h/x", SHA_A, 0, null).description()).isEmpty();
    }
}
