package dev.banger.daemon.kernel;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.core.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RemoteCatalogTest {
    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);

    @TempDir
    Path tmp;

    private TestHttpServer server;
    private HttpClient http;

    @BeforeEach
    void setUp() throws IOException {
        server = new TestHttpServer();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void tearDown() {
        server.close();
        http.close();
    }

    private static ObjectNode entry(String name, String version, String sha) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("name", name);
        n.put("distro", "debian");
        n.put("arch", "x86_64");
        n.put("kernel_version", version);
        n.put("tarball_url", "https://example.org/" + name + ".tar.zst");
        n.put("tarball_sha256", sha);
        n.put("size_bytes", 1234);
        n.put("description", "kernel " + name);
        return n;
    }

    private static String catalog(int version, ObjectNode... entries) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", version);
        ArrayNode arr = root.putArray("entries");
        for (ObjectNode e : entries) {
            arr.add(e);
        }
        return root.toString();
    }

    private Path file(String name, String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content, StandardCharsets.UTF_8);
    }

    @Test
    void embeddedCatalogLoadsAndIsEmpty() {
        RemoteCatalog c = RemoteCatalog.embedded();
        assertThat(c.entries()).isEmpty();
        assertThat(c.find("anything")).isEmpty();
    }

    @Test
    void loadsFromFileWithAllFields() throws Exception {
        Path f = file("c.json", catalog(1, entry("zeta", "6.1.0-1", SHA_A), entry("alpha", "6.2.0", SHA_B)));
        RemoteCatalog c = RemoteCatalog.load(f.toString(), null);
        assertThat(c.entries()).extracting(CatalogEntry::name).containsExactly("alpha", "zeta");
        assertThat(c.find("zeta")).contains(new CatalogEntry("zeta", "debian", "x86_64", "6.1.0-1",
                "https://example.org/zeta.tar.zst", SHA_A, 1234, "kernel zeta"));
        assertThat(RemoteCatalog.load(f.toUri().toString(), null).entries()).hasSize(2);
    }

    @Test
    void sizeAndDescriptionAreOptional() throws Exception {
        ObjectNode e = entry("k", "6.1", SHA_A);
        e.remove("size_bytes");
        e.remove("description");
        CatalogEntry got = RemoteCatalog.load(file("c.json", catalog(1, e)).toString(), null).find("k").orElseThrow();
        assertThat(got.sizeBytes()).isZero();
        assertThat(got.description()).isEmpty();
    }

    @Test
    void loadsFromUrl() throws Exception {
        String url = server.serve("/catalog.json", catalog(1, entry("net", "6.1", SHA_A)).getBytes(StandardCharsets.UTF_8));
        RemoteCatalog c = RemoteCatalog.load(url, http);
        assertThat(c.entries()).extracting(CatalogEntry::name).containsExactly("net");
        assertThat(c.find("net").orElseThrow().tarballSha256()).isEqualTo(SHA_A);
    }

    @Test
    void urlErrorsNameTheUrlAndCode() {
        String url = server.status("/missing.json", 404);
        assertThatThrownBy(() -> RemoteCatalog.load(url, http))
                .isInstanceOf(IOException.class).hasMessage("catalog " + url + ": HTTP 404");
    }

    @Test
    void missingFileIsOneClearLine() {
        String p = tmp.resolve("nope.json").toString();
        assertThatThrownBy(() -> RemoteCatalog.load(p, null))
                .isInstanceOf(IOException.class).hasMessage("catalog " + p + ": no such file");
    }

    @Test
    void mergeLaterEntriesWin() throws Exception {
        RemoteCatalog base = RemoteCatalog.load(file("a.json", catalog(1, entry("shared", "1.0", SHA_A), entry("only-a", "1.0", SHA_A))).toString(), null);
        RemoteCatalog over = RemoteCatalog.load(file("b.json", catalog(1, entry("shared", "2.0", SHA_B), entry("only-b", "2.0", SHA_B))).toString(), null);
        RemoteCatalog merged = RemoteCatalog.embedded().with(base).with(over);
        assertThat(merged.entries()).extracting(CatalogEntry::name).containsExactly("only-a", "only-b", "shared");
        assertThat(merged.find("shared").orElseThrow().kernelVersion()).isEqualTo("2.0");
        assertThat(merged.find("shared").orElseThrow().tarballSha256()).isEqualTo(SHA_B);
        // The inputs are unchanged.
        assertThat(base.find("shared").orElseThrow().kernelVersion()).isEqualTo("1.0");
        assertThat(base.find("only-b")).isEmpty();
    }

    @Test
    void rejectsOtherVersions() throws IOException {
        Path f = file("c.json", catalog(2, entry("k", "6.1", SHA_A)));
        assertThatThrownBy(() -> RemoteCatalog.load(f.toString(), null))
                .isInstanceOf(IOException.class)
                .hasMessage("catalog " + f + ": unsupported catalog version 2 (this banger reads version 1)");
        Path g = file("d.json", "{\"entries\": []}");
        assertThatThrownBy(() -> RemoteCatalog.load(g.toString(), null)).hasMessageContaining("missing or non-integer \"version\"");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "bad sha (uppercase)|tarball_sha256|" + "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789" + "|tarball_sha256 must be 64 lowercase hex digits",
            "bad sha (short)|tarball_sha256|abc|tarball_sha256 must be 64 lowercase hex digits",
            "ftp url|tarball_url|ftp://example.org/k.tar.zst|tarball_url must be an http or https URL",
            "file url|tarball_url|file:///etc/passwd|tarball_url must be an http or https URL",
            "relative url|tarball_url|k.tar.zst|tarball_url must be an http or https URL",
            "bad name (traversal)|name|../etc|kernel name may only contain",
            "bad name (dot)|name|.hidden|must not start with '.'",
            "bad version|kernel_version|6.1 evil|kernel_version is missing or has unexpected characters",
            "bad distro|distro|a/b|distro is missing or has unexpected characters",
    })
    void rejectsBadEntries(String label, String field, String value, String message) throws IOException {
        ObjectNode e = entry("k", "6.1", SHA_A);
        e.put(field, value);
        Path f = file("c.json", catalog(1, e));
        assertThatThrownBy(() -> RemoteCatalog.load(f.toString(), null))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("catalog " + f + ": entries[0]: ")
                .hasMessageContaining(message)
                .satisfies(ex -> assertThat(ex.getMessage()).doesNotContain("\n"));
    }

    @Test
    void rejectsNegativeSizeMissingFieldsDuplicatesAndBadJson() throws IOException {
        expectLoadError(e -> e.put("size_bytes", -1), "size_bytes must not be negative");
        expectLoadError(e -> e.put("size_bytes", "big"), "size_bytes is not an integer");
        expectLoadError(e -> e.remove("tarball_url"), "missing or non-string field tarball_url");
        Path dup = file("dup.json", catalog(1, entry("k", "1", SHA_A), entry("k", "2", SHA_B)));
        assertThatThrownBy(() -> RemoteCatalog.load(dup.toString(), null)).hasMessageContaining("kernel k is listed twice");
        Path bad = file("bad.json", "{\"version\": 1,\n \"entries\": [ }");
        assertThatThrownBy(() -> RemoteCatalog.load(bad.toString(), null))
                .hasMessageStartingWith("catalog " + bad + ": not valid JSON at line 2")
                .satisfies(ex -> assertThat(ex.getMessage()).doesNotContain("\n"));
        Path arr = file("arr.json", "[]");
        assertThatThrownBy(() -> RemoteCatalog.load(arr.toString(), null)).hasMessageContaining("expected a JSON object");
    }

    private void expectLoadError(Consumer<ObjectNode> mutate, String message) throws IOException {
        ObjectNode e = entry("k", "6.1", SHA_A);
        mutate.accept(e);
        Path f = file("m.json", catalog(1, e));
        assertThatThrownBy(() -> RemoteCatalog.load(f.toString(), null))
                .isInstanceOf(IOException.class).hasMessageContaining(message);
    }

    @Test
    void catalogEntryValidatesDirectlyToo() {
        assertThatThrownBy(() -> new CatalogEntry("k", "debian", "x86_64", "6.1", "https://h/k", SHA_A, -5, ""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CatalogEntry("k", "debian", "x86_64", "6.1", "https:///nohost", SHA_A, 0, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no host");
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
