package dev.banger.daemon.image.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Registry credentials from a Docker {@code config.json}: {@code auths.<host>.auth} (base64
 * {@code user:pass}) or {@code auths.<host>.username}/{@code password}. Host keys may be bare
 * ({@code host[:port]}) or URLs ({@code https://host/...}); Docker Hub's key
 * {@code https://index.docker.io/v1/} applies to {@code registry-1.docker.io}.
 * {@code credHelpers} and {@code credsStore} are not supported and are ignored.
 */
public final class DockerCredentials {
    public record Credential(String username, String password) {
        @Override
        public String toString() {
            return "Credential[username=" + username + ", password=<redacted>]";
        }
    }

    private final Map<String, Credential> byHost;

    private DockerCredentials(Map<String, Credential> byHost) {
        this.byHost = Map.copyOf(byHost);
    }

    public static DockerCredentials empty() {
        return new DockerCredentials(Map.of());
    }

    /** The default location: {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}. */
    public static Path defaultPath() {
        String dc = System.getenv("DOCKER_CONFIG");
        if (dc != null && !dc.isBlank()) return Path.of(dc, "config.json");
        return Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /** Reads {@code configJson}; a missing file means no credentials. Malformed JSON is an IOException. */
    public static DockerCredentials load(Path configJson) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(configJson);
        } catch (NoSuchFileException e) {
            return empty();
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("cannot parse docker config " + configJson + ": " + e.getOriginalMessage(), e);
        }
        Map<String, Credential> map = new HashMap<>();
        JsonNode auths = root == null ? null : root.get("auths");
        if (auths != null && auths.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Credential c = credential(e.getValue());
                if (c != null) map.putIfAbsent(normalizeHost(e.getKey()), c);
            }
        }
        return new DockerCredentials(map);
    }

    public Optional<Credential> forRegistry(String registry) {
        return Optional.ofNullable(byHost.get(normalizeHost(registry)));
    }

    private static Credential credential(JsonNode entry) {
        if (entry == null || !entry.isObject()) return null;
        String auth = text(entry, "auth");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return null;
            }
            int colon = decoded.indexOf(':');
            if (colon > 0) return new Credential(decoded.substring(0, colon), decoded.substring(colon + 1));
            return null;
        }
        String user = text(entry, "username");
        String pass = text(entry, "password");
        return user.isEmpty() ? null : new Credential(user, pass);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.asText() : "";
    }

    /** {@code https://Host:443/v1/} → {@code host:443}; Docker Hub's many names → {@code registry-1.docker.io}. */
    static String normalizeHost(String key) {
        String h = key.strip();
        int scheme = h.indexOf("://");
        if (scheme >= 0) h = h.substring(scheme + 3);
        int slash = h.indexOf('/');
        if (slash >= 0) h = h.substring(0, slash);
        h = h.toLowerCase(Locale.ROOT);
        return switch (h) {
            case "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com" -> ImageReference.DOCKER_HUB;
            default -> h;
        };
    }
}
