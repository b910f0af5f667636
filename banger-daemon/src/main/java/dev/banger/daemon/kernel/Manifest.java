package dev.banger.daemon.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;

/** Reads and writes manifest.json. Field names are snake_case because other tools read the file too. */
final class Manifest {
    static final String FILE_NAME = "manifest.json";
    /** Only the tree model is used, so the shared mapper's naming and date settings do not apply. */
    private static final ObjectMapper JSON = Json.MAPPER;

    private Manifest() { }

    /** Writes via a temp file in the same directory and a rename, so a reader sees either no manifest or a whole one. */
    static void write(KernelEntry e) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", e.name());
        n.put("distro", e.distro());
        n.put("arch", e.arch());
        n.put("kernel_version", e.kernelVersion());
        n.put("sha256", e.sha256());
        n.put("source", e.source());
        n.put("imported_at", e.importedAt().toString());
        Path tmp = e.dir().resolve("." + FILE_NAME + ".tmp-" + UUID.randomUUID());
        try {
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
            Files.move(tmp, e.dir().resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The entry is bound to {@code dir}, not to wherever the manifest was written from (it was written in staging). */
    static KernelEntry read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        JsonNode n = JSON.readTree(file.toFile());
        try {
            return new KernelEntry(text(n, "name", file), text(n, "distro", file), text(n, "arch", file),
                    text(n, "kernel_version", file), text(n, "sha256", file), text(n, "source", file),
                    Instant.parse(text(n, "imported_at", file)), dir);
        } catch (DateTimeParseException ex) {
            throw new IOException(file + ": imported_at is not an ISO-8601 instant", ex);
        }
    }

    private static String text(JsonNode n, String field, Path file) throws IOException {
        JsonNode v = n == null ? null : n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IOException(file + ": missing or non-string field " + field);
        }
        return v.asText();
    }
}
