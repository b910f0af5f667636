package dev.banger.daemon.kernel;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.core.Json;
import dev.banger.daemon.fetch.TestCatalogs;
import dev.banger.daemon.fetch.CatalogFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kernel catalog's own fields and messages; reading, document rules and merging are CatalogFileTest's. */
class RemoteCatalogTest {
    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);

    @TempDir
    Path tmp;

    private static ObjectNode entry(String name, String version, String sha) {
        return TestCatalogs.object("name", name, "distro", "debian", "arch", "x86_64", "kernel_version", version,
                "tarball_url", "https://example.org/" + name + ".tar.zst", "tarball_sha256", sha,
                "size_bytes", 1234, "description", "kernel " + name);
    }

    private static String catalog(int version, ObjectNode... entries) {
        return TestCatalogs.document(version, "entries", entries);
    }

    private Path file(String name, String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content, StandardCharsets.UTF_8);
    }

    @Test
    void embeddedCatalogLoadsAndIsEmpty() {
        CatalogFile<CatalogEntry> c = RemoteCatalog.embedded();
        assertThat(c.entries()).isEmpty();
        assertThat(c.find("anything")).isEmpty();
    }

    @Test
    void loadsFromFileWithAllFieldsAndMerges() throws Exception {
        Path f = file("c.json", catalog(1, entry("zeta", "6.1.0-1", SHA_A), entry("alpha", "6.2.0", SHA_B)));
        CatalogFile<CatalogEntry> c = RemoteCatalog.load(f.toString(), null);
        assertThat(c.entries()).extracting(CatalogEntry::name).containsExactly("alpha", "zeta");
        assertThat(c.find("zeta")).contains(new CatalogEntry("zeta", "debian", "x86_64", "6.1.0-1",
                "https://example.org/zeta.tar.zst", SHA_A, 1234, "kernel zeta"));
        CatalogFile<CatalogEntry> over = RemoteCatalog.load(file("d.json", catalog(1, entry("zeta", "7.0", SHA_B))).toString(), null);
        assertThat(RemoteCatalog.embedded().with(c).with(over).find("zeta").orElseThrow().kernelVersion()).isEqualTo("7.0");
    }

    @Test
    void documentErrorsNameTheCatalogAndItsEntriesList() throws IOException {
        Path f = file("c.json", catalog(2, entry("k", "6.1", SHA_A)));
        assertThatThrownBy(() -> RemoteCatalog.load(f.toString(), null))
                .isInstanceOf(IOException.class)
                .hasMessage("catalog " + f + ": unsupported catalog version 2 (this banger reads version 1)");
        Path images = file("i.json", "{\"version\": 1, \"images\": []}");
        assertThatThrownBy(() -> RemoteCatalog.load(images.toString(), null))
                .hasMessage("catalog " + images + ": missing or non-array \"entries\"");
        Path dup = file("dup.json", catalog(1, entry("k", "1", SHA_A), entry("k", "2", SHA_B)));
        assertThatThrownBy(() -> RemoteCatalog.load(dup.toString(), null))
                .hasMessage("catalog " + dup + ": entries[1]: kernel k is listed twice");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "bad sha (short)|tarball_sha256|abc|tarball_sha256 must be 64 lowercase hex digits",
            "ftp url|tarball_url|ftp://example.org/k.tar.zst|tarball_url must be an http or https URL",
            "bad name (traversal)|name|../etc|kernel name may only contain",
            "bad name (dot)|name|.hidden|must not start with '.'",
            "bad version|kernel_version|6.1 evil|kernel_version is missing or has unexpected characters",
            "bad distro|distro|a/b|distro is missing or has unexpected characters",
            "bad arch|arch||arch is missing or has unexpected characters",
    })
    void rejectsBadEntries(String label, String field, String value, String message) throws IOException {
        ObjectNode e = entry("k", "6.1", SHA_A);
        e.put(field, value == null ? "" : value);
        Path f = file("c.json", catalog(1, e));
        assertThatThrownBy(() -> RemoteCatalog.load(f.toString(), null))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("catalog " + f + ": entries[0]: ")
                .hasMessageContaining(message)
                .satisfies(ex -> assertThat(ex.getMessage()).doesNotContain("\n"));
    }

    @Test
    void catalogEntryValidatesDirectlyToo() {
        assertThatThrownBy(() -> new CatalogEntry("k", "debian", "x86_64", "6.1", "https://h/k", SHA_A, -5, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("kernel k: size_bytes must not be negative");
        assertThatThrownBy(() -> new CatalogEntry("k", "debian", "x86_64", "6.1", "https:///nohost", SHA_A, 0, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("kernel k: tarball_url has no host");
        assertThat(new CatalogEntry("k", "debian", "x86_64", "6.1", "HTTP://h/k", SHA_A, 0, null).description()).isEmpty();
    }

    @Test
    void catalogEntrySerialisesSnakeCase() throws Exception {
        CatalogEntry e = new CatalogEntry("k", "debian", "x86_64", "6.1", "https://h/k", SHA_A, 5, "d");
        String json = Json.MAPPER.writeValueAsString(e);
        assertThat(json).contains("\"kernel_version\":\"6.1\"", "\"tarball_url\":", "\"tarball_sha256\":", "\"size_bytes\":5");
        assertThat(Json.MAPPER.readValue(json, CatalogEntry.class)).isEqualTo(e);
    }
}
