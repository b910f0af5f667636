package dev.banger.daemon.fetch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CatalogFileTest {
    private static final String SHA_A = "a".repeat(64);

    /** A minimal catalog kind: {"version": 1, "items": [{"name", "url", "size_bytes"?, "description"?}]}. */
    record Item(String name, String url, long sizeBytes, String description) {
        Item {
            if (name.startsWith("bad")) {
                throw new IllegalArgumentException("item " + name + ": is bad\non two lines");
            }
            CatalogFile.requireHttpUrl("item", name, "url", url);
            CatalogFile.requireSize("item", name, sizeBytes);
        }
    }

    private static final CatalogFile.Format<Item> FORMAT = new CatalogFile.Format<>("test catalog", "items", "item",
            Item::name, f -> new Item(f.text("name"), f.text("url"), f.sizeBytes(), f.description()));

    @TempDir
    Path tmp;

    @RegisterExtension
    final TestHttpServer server = TestHttpServer.perTest();
    private final HttpClient http = server.http();

    private static ObjectNode item(String name, String url) {
        return TestCatalogs.object("name", name, "url", url, "size_bytes", 1234, "description", "item " + name);
    }

    private static ObjectNode item(String name, Consumer<ObjectNode> edit) {
        ObjectNode n = item(name, "https://example.org/" + name);
        edit.accept(n);
        return n;
    }

    private static String catalog(ObjectNode... items) {
        return TestCatalogs.document(1, "items", items);
    }

    private Path write(String json) throws IOException {
        return Files.writeString(Files.createTempFile(tmp, "catalog", ".json"), json);
    }

    private CatalogFile<Item> load(String json) throws Exception {
        return CatalogFile.read(write(json).toString(), null, FORMAT);
    }

    // ------------------------------------------------------------------ reading bytes

    @Test
    void readsFilesFileUrisAndUrls() throws Exception {
        String json = catalog(item("a", "https://h/a"));
        Path f = write(json);
        assertThat(CatalogFile.readBytes(f.toString(), null)).asString(StandardCharsets.UTF_8).isEqualTo(json);
        assertThat(CatalogFile.readBytes(f.toUri().toString(), null)).asString(StandardCharsets.UTF_8).isEqualTo(json);
        String url = server.serve("/c.json", json.getBytes(StandardCharsets.UTF_8));
        assertThat(CatalogFile.read(url, http, FORMAT).find("a")).contains(new Item("a", "https://h/a", 1234, "item a"));
    }

    @Test
    void readErrorsAreOneLineNamingTheLocation() throws Exception {
        String gone = server.status("/gone.json", 404);
        assertThatThrownBy(() -> CatalogFile.readBytes(gone, http)).isInstanceOf(IOException.class).hasMessage("catalog " + gone + ": HTTP 404");
        String missing = tmp.resolve("nope.json").toString();
        assertThatThrownBy(() -> CatalogFile.readBytes(missing, null)).isInstanceOf(IOException.class).hasMessage("catalog " + missing + ": no such file");
        Path big = tmp.resolve("big.json");
        try (var ch = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), CatalogFile.MAX_BYTES);
        }
        assertThatThrownBy(() -> CatalogFile.readBytes(big.toString(), null)).hasMessage("catalog " + big + ": larger than 16 MiB");
        String bigUrl = server.serve("/big.json", new byte[CatalogFile.MAX_BYTES + 1]);
        assertThatThrownBy(() -> CatalogFile.readBytes(bigUrl, http)).hasMessage("catalog " + bigUrl + ": larger than 16 MiB");
        assertThatThrownBy(() -> CatalogFile.readBytes("https://h/c.json", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CatalogFile.readBytes(" ", null)).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------------ parsing

    @Test
    void entriesAreSortedAndOptionalFieldsDefault() throws Exception {
        ObjectNode bare = item("zeta", n -> {
            n.remove("size_bytes");
            n.putNull("description");
        });
        CatalogFile<Item> c = load(catalog(bare, item("alpha", "https://h/alpha")));
        assertThat(c.entries()).extracting(Item::name).containsExactly("alpha", "zeta");
        assertThat(c.find("zeta")).contains(new Item("zeta", "https://example.org/zeta", 0, ""));
        assertThat(c.find("nope")).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            bad version      | {"version": 2, "items": []}              | unsupported catalog version 2 (this banger reads version 1)
            no version       | {"items": []}                            | missing or non-integer "version"
            string version   | {"version": "1", "items": []}            | missing or non-integer "version"
            no list          | {"version": 1}                           | missing or non-array "items"
            other list       | {"version": 1, "entries": []}            | missing or non-array "items"
            list not array   | {"version": 1, "items": {}}              | missing or non-array "items"
            not an object    | []                                       | expected a JSON object with "version" and "items"
            empty            | ''                                       | expected a JSON object
            not json         | {"version": 1, "items": [               | not valid JSON at line 1
            """)
    void refusesBadDocuments(String what, String json, String message) throws IOException {
        Path f = write(json);
        assertThatThrownBy(() -> CatalogFile.read(f.toString(), null, FORMAT))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("test catalog " + f + ": ")
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void badJsonNamesTheLineOnOneLine() throws IOException {
        Path f = write("{\"version\": 1,\n \"items\": [ }");
        assertThatThrownBy(() -> CatalogFile.read(f.toString(), null, FORMAT))
                .hasMessageStartingWith("test catalog " + f + ": not valid JSON at line 2")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void refusesBadEntriesByIndex() throws Exception {
        ObjectNode ok = item("ok", "https://h/ok");
        expectEntryError(catalog(ok, item("x", n -> n.put("size_bytes", "12"))), "items[1]: size_bytes is not an integer");
        expectEntryError(catalog(item("x", n -> n.put("size_bytes", 1.5))), "items[0]: size_bytes is not an integer");
        expectEntryError(catalog(item("x", n -> n.put("size_bytes", BigInteger.TEN.pow(30)))), "items[0]: size_bytes is out of range");
        expectEntryError(catalog(item("x", n -> n.put("size_bytes", -1))), "items[0]: item x: size_bytes must not be negative");
        expectEntryError(catalog(item("x", n -> n.put("description", 5))), "items[0]: description is not a string");
        expectEntryError(catalog(item("x", n -> n.remove("url"))), "items[0]: missing or non-string field url");
        expectEntryError(catalog(item("x", n -> n.put("name", 7))), "items[0]: missing or non-string field name");
        expectEntryError("{\"version\": 1, \"items\": [42]}", "items[0]: not a JSON object");
        expectEntryError(catalog(ok, item("ok", "https://h/again")), "items[1]: item ok is listed twice");
        // The entry's own validation, flattened to one line.
        expectEntryError(catalog(item("bad-one", "https://h/b")), "items[0]: item bad-one: is bad on two lines");
    }

    private void expectEntryError(String json, String suffix) throws IOException {
        Path f = write(json);
        assertThatThrownBy(() -> CatalogFile.read(f.toString(), null, FORMAT))
                .isInstanceOf(IOException.class)
                .hasMessage("test catalog " + f + ": " + suffix);
    }

    @Test
    void laterCatalogWinsOnMergeAndInputsStay() throws Exception {
        CatalogFile<Item> base = load(catalog(item("shared", "https://h/1"), item("only-a", "https://h/a")));
        CatalogFile<Item> over = load(catalog(item("shared", "https://h/2"), item("only-b", "https://h/b")));
        CatalogFile<Item> merged = base.with(over);
        assertThat(merged.entries()).extracting(Item::name).containsExactly("only-a", "only-b", "shared");
        assertThat(merged.find("shared").orElseThrow().url()).isEqualTo("https://h/2");
        assertThat(base.find("shared").orElseThrow().url()).isEqualTo("https://h/1");
        assertThat(base.find("only-b")).isEmpty();
    }

    @Test
    void embeddedResourceMustExist() {
        assertThatThrownBy(() -> CatalogFile.embedded("/no/such/catalog.json", FORMAT))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("embedded item catalog /no/such/catalog.json is missing from the classpath");
    }

    // ------------------------------------------------------------------ entry field checks

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            ftp          | ftp://h/x     | item x: url must be an http or https URL
            file         | file:///x     | item x: url must be an http or https URL
            relative     | x.tar         | item x: url must be an http or https URL
            no host      | http:///x     | item x: url has no host
            syntax       | http://h/a b  | item x: url is not a valid URL
            empty        | ''            | item x: url must not be empty
            """)
    void requireHttpUrl(String what, String url, String message) {
        assertThatThrownBy(() -> CatalogFile.requireHttpUrl("item", "x", "url", url))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }

    @Test
    void requireHttpUrlAcceptsEitherCase() {
        CatalogFile.requireHttpUrl("item", "x", "url", "HTTP://h/x");
        CatalogFile.requireHttpUrl("item", "x", "url", "https://h:8443/x?y");
    }

    @Test
    void requireSha256() {
        CatalogFile.requireSha256("item", "x", "sha", SHA_A);
        for (String bad : new String[] {"A".repeat(64), "abc", "g".repeat(64), null}) {
            assertThatThrownBy(() -> CatalogFile.requireSha256("item", "x", "sha", bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("item x: sha must be 64 lowercase hex digits");
        }
    }
}
