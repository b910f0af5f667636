package dev.banger.daemon.image.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.daemon.kernel.RemoteCatalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The list of root filesystem bundles that can be pulled: {@code {"version": 1, "images": [...]}}.
 * The embedded catalog ships with banger (empty until bundles are published); more can be loaded
 * from a file or an http(s) URL and merged over it with {@link #with(ImageCatalog)}. Locations and
 * size limit are the kernel catalog's ({@link RemoteCatalog#readCatalogBytes}).
 */
public final class ImageCatalog {
    static final int FORMAT_VERSION = 1;
    static final String RESOURCE = "/dev/banger/daemon/image/catalog/catalog.json";

    private final Map<String, ImageCatalogEntry> byName;

    private ImageCatalog(Map<String, ImageCatalogEntry> byName) {
        this.byName = byName;
    }

    /** The catalog built into banger. */
    public static ImageCatalog embedded() {
        try (InputStream in = ImageCatalog.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("embedded image catalog " + RESOURCE + " is missing from the classpath");
            }
            return parse(in.readAllBytes(), "embedded image catalog");
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** fileOrUrl: a local path (or file: URI) or an http(s) URL. http may be null when loading a file. */
    public static ImageCatalog load(String fileOrUrl, HttpClient http) throws IOException, InterruptedException {
        return parse(RemoteCatalog.readCatalogBytes(fileOrUrl, http), fileOrUrl);
    }

    static ImageCatalog parse(byte[] json, String source) throws IOException {
        String what = "image catalog " + source;
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new IOException(what + ": not valid JSON" + where + " (" + oneLine(e.getOriginalMessage()) + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IOException(what + ": expected a JSON object with \"version\" and \"images\"");
        }
        JsonNode version = root.get("version");
        if (version == null || !version.isIntegralNumber()) {
            throw new IOException(what + ": missing or non-integer \"version\"");
        }
        if (version.asLong() != FORMAT_VERSION) {
            throw new IOException(what + ": unsupported catalog version " + version.asText()
                    + " (this banger reads version " + FORMAT_VERSION + ")");
        }
        JsonNode images = root.get("images");
        if (images == null || !images.isArray()) {
            throw new IOException(what + ": missing or non-array \"images\"");
        }
        Map<String, ImageCatalogEntry> byName = new LinkedHashMap<>();
        for (int i = 0; i < images.size(); i++) {
            String where = what + ": images[" + i + "]";
            ImageCatalogEntry e = entry(images.get(i), where);
            if (byName.putIfAbsent(e.name(), e) != null) {
                throw new IOException(where + ": image " + e.name() + " is listed twice");
            }
        }
        return new ImageCatalog(byName);
    }

    private static ImageCatalogEntry entry(JsonNode n, String where) throws IOException {
        if (n == null || !n.isObject()) {
            throw new IOException(where + ": not a JSON object");
        }
        JsonNode size = n.get("size_bytes");
        if (size != null && !size.isNull() && !size.isIntegralNumber()) {
            throw new IOException(where + ": size_bytes is not an integer");
        }
        if (size != null && size.isIntegralNumber() && !size.canConvertToLong()) {
            throw new IOException(where + ": size_bytes is out of range");
        }
        JsonNode desc = n.get("description");
        if (desc != null && !desc.isNull() && !desc.isTextual()) {
            throw new IOException(where + ": description is not a string");
        }
        try {
            return new ImageCatalogEntry(text(n, "name", where), text(n, "kernel_ref", where), text(n, "format", where),
                    text(n, "rootfs_url", where), text(n, "rootfs_sha256", where),
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

    /** This catalog with other's images added; where both name an image, other's entry wins. */
    public ImageCatalog with(ImageCatalog other) {
        Map<String, ImageCatalogEntry> merged = new LinkedHashMap<>(byName);
        merged.putAll(other.byName);
        return new ImageCatalog(merged);
    }

    public Optional<ImageCatalogEntry> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** All entries, sorted by name. */
    public List<ImageCatalogEntry> entries() {
        List<ImageCatalogEntry> out = new ArrayList<>(byName.values());
        out.sort(Comparator.comparing(ImageCatalogEntry::name));
        return List.copyOf(out);
    }
}
