package dev.banger.daemon.kernel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
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
import java.util.Map;
import java.util.Optional;

/**
 * The list of kernel bundles that can be pulled: {@code {"version": 1, "entries": [...]}}.
 * The embedded catalog ships with banger; more can be loaded from a file or an http(s) URL and
 * merged over it with {@link #with(RemoteCatalog)}.
 */
public final class RemoteCatalog {
    static final int FORMAT_VERSION = 1;
    static final String RESOURCE = "/dev/banger/daemon/kernel/catalog.json";
    /** A catalog is a small JSON list; anything bigger is not one. */
    static final int MAX_BYTES = 16 << 20;
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, CatalogEntry> byName;

    private RemoteCatalog(Map<String, CatalogEntry> byName) {
        this.byName = byName;
    }

    /** The catalog built into banger. */
    public static RemoteCatalog embedded() {
        try (InputStream in = RemoteCatalog.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("embedded kernel catalog " + RESOURCE + " is missing from the classpath");
            }
            return parse(in.readAllBytes(), "embedded catalog");
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** fileOrUrl: a local path (or file: URI) or an http(s) URL. http may be null when loading a file. */
    public static RemoteCatalog load(String fileOrUrl, HttpClient http) throws IOException, InterruptedException {
        return parse(readCatalogBytes(fileOrUrl, http), fileOrUrl);
    }

    /**
     * The raw bytes of a catalog at fileOrUrl (a local path, file: URI or http(s) URL), at most
     * {@link #MAX_BYTES}; failures are one-line IOExceptions starting "catalog &lt;fileOrUrl&gt;: ".
     * Shared with the image catalog, which has the same locations and limits.
     */
    public static byte[] readCatalogBytes(String fileOrUrl, HttpClient http) throws IOException, InterruptedException {
        if (fileOrUrl == null || fileOrUrl.isBlank()) {
            throw new IllegalArgumentException("catalog location must not be empty");
        }
        String lower = fileOrUrl.toLowerCase(java.util.Locale.ROOT);
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
            throw new IOException("catalog " + url + ": " + KernelPuller.describe(e), e);
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

    static RemoteCatalog parse(byte[] json, String source) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new IOException("catalog " + source + ": not valid JSON" + where + " (" + oneLine(e.getOriginalMessage()) + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IOException("catalog " + source + ": expected a JSON object with \"version\" and \"entries\"");
        }
        JsonNode version = root.get("version");
        if (version == null || !version.isIntegralNumber()) {
            throw new IOException("catalog " + source + ": missing or non-integer \"version\"");
        }
        if (version.asLong() != FORMAT_VERSION) {
            throw new IOException("catalog " + source + ": unsupported catalog version " + version.asText()
                    + " (this banger reads version " + FORMAT_VERSION + ")");
        }
        JsonNode entries = root.get("entries");
        if (entries == null || !entries.isArray()) {
            throw new IOException("catalog " + source + ": missing or non-array \"entries\"");
        }
        Map<String, CatalogEntry> byName = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            CatalogEntry e = entry(entries.get(i), "catalog " + source + ": entries[" + i + "]");
            if (byName.putIfAbsent(e.name(), e) != null) {
                throw new IOException("catalog " + source + ": entries[" + i + "]: kernel " + e.name() + " is listed twice");
            }
        }
        return new RemoteCatalog(byName);
    }

    private static CatalogEntry entry(JsonNode n, String where) throws IOException {
        if (n == null || !n.isObject()) {
            throw new IOException(where + ": not a JSON object");
        }
        JsonNode size = n.get("size_bytes");
        if (size != null && !size.isNull() && !size.isIntegralNumber()) {
            throw new IOException(where + ": size_bytes is not an integer");
        }
        JsonNode desc = n.get("description");
        if (desc != null && !desc.isNull() && !desc.isTextual()) {
            throw new IOException(where + ": description is not a string");
        }
        try {
            return new CatalogEntry(text(n, "name", where), text(n, "distro", where), text(n, "arch", where),
                    text(n, "kernel_version", where), text(n, "tarball_url", where), text(n, "tarball_sha256", where),
                    size == null || size.isNull() ? 0 : size.asLong(),
                    desc == null || desc.isNull() ? "" : desc.asText());
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + oneLine(e.getMessage()));
        }
    }

    private static String text(JsonNode n, String field, String where) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IOException(where + ": missing or non-string field " + field);
        }
        return v.asText();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n]+", " ").strip();
    }

    /** This catalog with other's entries added; where both name a kernel, other's entry wins. */
    public RemoteCatalog with(RemoteCatalog other) {
        Map<String, CatalogEntry> merged = new LinkedHashMap<>(byName);
        merged.putAll(other.byName);
        return new RemoteCatalog(merged);
    }

    public Optional<CatalogEntry> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** All entries, sorted by name. */
    public List<CatalogEntry> entries() {
        List<CatalogEntry> out = new ArrayList<>(byName.values());
        out.sort(Comparator.comparing(CatalogEntry::name));
        return List.copyOf(out);
    }
}
