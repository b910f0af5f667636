package dev.banger.daemon.fetch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A catalog of downloadable entries, {@code {"version": 1, "<list>": [...]}}, read from the
 * classpath, a file or an http(s) URL. Entries are unique by name; {@link #with} merges catalogs
 * (later wins). How one kind of catalog names its list and parses an entry is its {@link Format}.
 * Every failure is a one-line IOException naming the catalog and, for an entry, its index.
 */
public final class CatalogFile<E> {
    public static final int FORMAT_VERSION = 1;
    /** A catalog is a small JSON list; anything bigger is not one. */
    public static final int MAX_BYTES = 16 << 20;
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** Parses one entry; IllegalArgumentExceptions (e.g. from a validating record) become entry errors. */
    @FunctionalInterface
    public interface EntryParser<E> {
        E parse(Fields fields) throws IOException;
    }

    /**
     * One kind of catalog. title starts its error messages ("catalog", "image catalog"); listField
     * is the array's key; noun is what an entry is ("kernel", "image").
     */
    public record Format<E>(String title, String listField, String noun, Function<E, String> nameOf, EntryParser<E> parser) { }

    /**
     * The fields of one entry object. size_bytes (an integer, 0 when absent or null) and description
     * (a string, "" when absent or null) are checked up front, the other fields as they are asked for.
     */
    public static final class Fields {
        private final JsonNode node;
        private final String where;
        private final long sizeBytes;
        private final String description;

        Fields(JsonNode node, String where) throws IOException {
            if (node == null || !node.isObject()) {
                throw new IOException(where + ": not a JSON object");
            }
            this.node = node;
            this.where = where;
            JsonNode size = node.get("size_bytes");
            if (size != null && !size.isNull() && !size.isIntegralNumber()) {
                throw new IOException(where + ": size_bytes is not an integer");
            }
            if (size != null && size.isIntegralNumber() && !size.canConvertToLong()) {
                throw new IOException(where + ": size_bytes is out of range");
            }
            JsonNode desc = node.get("description");
            if (desc != null && !desc.isNull() && !desc.isTextual()) {
                throw new IOException(where + ": description is not a string");
            }
            this.sizeBytes = size == null || size.isNull() ? 0 : size.asLong();
            this.description = desc == null || desc.isNull() ? "" : desc.asText();
        }

        /** A required string field. */
        public String text(String field) throws IOException {
            JsonNode v = node.get(field);
            if (v == null || !v.isTextual()) {
                throw new IOException(where + ": missing or non-string field " + field);
            }
            return v.asText();
        }

        public long sizeBytes() {
            return sizeBytes;
        }

        public String description() {
            return description;
        }
    }

    private final Format<E> format;
    private final Map<String, E> byName;

    private CatalogFile(Format<E> format, Map<String, E> byName) {
        this.format = format;
        this.byName = byName;
    }

    /** The catalog in a classpath resource; its absence or a parse error is a build bug, so unchecked. */
    public static <E> CatalogFile<E> embedded(String resource, Format<E> format) {
        try (InputStream in = CatalogFile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("embedded " + format.noun() + " catalog " + resource + " is missing from the classpath");
            }
            return parse(in.readAllBytes(), "embedded " + format.title(), format);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** fileOrUrl: a local path (or file: URI) or an http(s) URL. http may be null when loading a file. */
    public static <E> CatalogFile<E> read(String fileOrUrl, HttpClient http, Format<E> format) throws IOException, InterruptedException {
        return parse(readBytes(fileOrUrl, http), fileOrUrl, format);
    }

    /**
     * The raw bytes of a catalog at fileOrUrl (a local path, file: URI or http(s) URL), at most
     * {@link #MAX_BYTES}; failures are one-line IOExceptions starting "catalog &lt;fileOrUrl&gt;: ".
     */
    public static byte[] readBytes(String fileOrUrl, HttpClient http) throws IOException, InterruptedException {
        if (fileOrUrl == null || fileOrUrl.isBlank()) {
            throw new IllegalArgumentException("catalog location must not be empty");
        }
        String lower = fileOrUrl.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return fetch(fileOrUrl, http);
        }
        Path file;
        try {
            file = lower.startsWith("file:") ? Path.of(URI.create(fileOrUrl)) : Path.of(fileOrUrl);
        } catch (IllegalArgumentException e) {
            throw new IOException("catalog " + fileOrUrl + ": not a valid path or URL");
        }
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IOException("catalog " + fileOrUrl + ": larger than " + (MAX_BYTES >> 20) + " MiB");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("catalog " + fileOrUrl + ": no such file", e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("catalog ")) {
                throw e;
            }
            throw new IOException("catalog " + fileOrUrl + ": cannot read (" + e + ")", e);
        }
        return bytes;
    }

    private static byte[] fetch(String url, HttpClient http) throws IOException, InterruptedException {
        if (http == null) {
            throw new IllegalArgumentException("an HTTP client is needed to load catalog " + url);
        }
        HttpRequest req;
        try {
            req = HttpRequest.newBuilder(URI.create(url)).timeout(HTTP_TIMEOUT).GET().build();
        } catch (IllegalArgumentException e) {
            throw new IOException("catalog " + url + ": not a valid URL");
        }
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new IOException("catalog " + url + ": " + VerifiedDownload.describe(e), e);
        }
        try (InputStream body = resp.body()) {
            if (resp.statusCode() / 100 != 2) {
                throw new IOException("catalog " + url + ": HTTP " + resp.statusCode());
            }
            byte[] bytes = body.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new IOException("catalog " + url + ": larger than " + (MAX_BYTES >> 20) + " MiB");
            }
            return bytes;
        }
    }

    /** Parses a catalog document; source names it in errors ("&lt;title&gt; &lt;source&gt;: ..."). */
    public static <E> CatalogFile<E> parse(byte[] json, String source, Format<E> format) throws IOException {
        String what = format.title() + " " + source;
        String list = format.listField();
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new IOException(what + ": not valid JSON" + where + " (" + oneLine(e.getOriginalMessage()) + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IOException(what + ": expected a JSON object with \"version\" and \"" + list + "\"");
        }
        JsonNode version = root.get("version");
        if (version == null || !version.isIntegralNumber()) {
            throw new IOException(what + ": missing or non-integer \"version\"");
        }
        if (version.asLong() != FORMAT_VERSION) {
            throw new IOException(what + ": unsupported catalog version " + version.asText()
                    + " (this banger reads version " + FORMAT_VERSION + ")");
        }
        JsonNode entries = root.get(list);
        if (entries == null || !entries.isArray()) {
            throw new IOException(what + ": missing or non-array \"" + list + "\"");
        }
        Map<String, E> byName = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            String where = what + ": " + list + "[" + i + "]";
            Fields fields = new Fields(entries.get(i), where);
            E e;
            try {
                e = format.parser().parse(fields);
            } catch (IllegalArgumentException ex) {
                throw new IOException(where + ": " + oneLine(ex.getMessage()));
            }
            String name = format.nameOf().apply(e);
            if (byName.putIfAbsent(name, e) != null) {
                throw new IOException(where + ": " + format.noun() + " " + name + " is listed twice");
            }
        }
        return new CatalogFile<>(format, byName);
    }

    /** This catalog with other's entries added; where both name an entry, other's wins. */
    public CatalogFile<E> with(CatalogFile<E> other) {
        Map<String, E> merged = new LinkedHashMap<>(byName);
        merged.putAll(other.byName);
        return new CatalogFile<>(format, merged);
    }

    public Optional<E> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** All entries, sorted by name. */
    public List<E> entries() {
        List<E> out = new ArrayList<>(byName.values());
        out.sort(Comparator.comparing(format.nameOf()));
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------ entry field checks

    /** Throws "&lt;noun&gt; &lt;name&gt;: &lt;field&gt; must be 64 lowercase hex digits" unless sha is one. */
    public static void requireSha256(String noun, String name, String field, String sha) {
        if (sha == null || !SHA256.matcher(sha).matches()) {
            throw new IllegalArgumentException(noun + " " + name + ": " + field + " must be 64 lowercase hex digits");
        }
    }

    /** Throws "&lt;noun&gt; &lt;name&gt;: &lt;field&gt; ..." unless url is an absolute http(s) URL with a host. */
    public static void requireHttpUrl(String noun, String name, String field, String url) {
        String prefix = noun + " " + name + ": " + field;
        if (url == null || url.isEmpty()) {
            throw new IllegalArgumentException(prefix + " must not be empty");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(prefix + " is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException(prefix + " must be an http or https URL");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException(prefix + " has no host");
        }
    }

    /** Throws "&lt;noun&gt; &lt;name&gt;: size_bytes must not be negative" if it is. */
    public static void requireSize(String noun, String name, long sizeBytes) {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException(noun + " " + name + ": size_bytes must not be negative");
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n]+", " ").strip();
    }
}
