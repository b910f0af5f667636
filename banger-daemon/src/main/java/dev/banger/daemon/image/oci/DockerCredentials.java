package dev.banger.daemon.image.oci;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.daemon.host.HostCommand;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Registry credentials the way Docker finds them, looked up when a registry asks for them (never
 * at daemon start, so a broken file only fails pulls that need credentials):
 *
 * <ol>
 *   <li>the file: {@code $DOCKER_CONFIG/config.json}, else {@code $HOME/.docker/config.json}, read
 *       at each lookup; a missing file means no credentials;</li>
 *   <li>{@code credHelpers.<host>}, else {@code credsStore}: run {@code docker-credential-<name> get}
 *       (found on {@code $PATH}) with the server address on stdin and read its
 *       {@code {"Username","Secret"}}; Username {@code <token>} makes Secret an identity token.
 *       Its "credentials not found" answer means no credentials;</li>
 *   <li>else {@code auths.<host>}: {@code auth} (base64 {@code user:pass}), or
 *       {@code username}/{@code password}, or {@code identitytoken}.</li>
 * </ol>
 *
 * Host keys may be bare ({@code host[:port]}) or URLs ({@code https://host/...}); Docker Hub's
 * key {@code https://index.docker.io/v1/} applies to {@code registry-1.docker.io}. Errors name the
 * file (or the helper) and what is wrong, on one line.
 */
public final class DockerCredentials {
    /** What a helper prints (with a non-zero exit) when it has nothing for the server; Docker treats it as "none". */
    static final String HELPER_NOT_FOUND = "credentials not found in native keychain";
    private static final String DOCKER_HUB_SERVER = "https://index.docker.io/v1/";
    private static final Duration HELPER_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_CONFIG_BYTES = 4 << 20;

    /**
     * A credential: username and password, or an identity token (an OAuth2 refresh token the
     * registry's token server exchanges for access tokens).
     */
    public record Credential(String username, String password, String identityToken) {
        public Credential(String username, String password) {
            this(username, password, "");
        }

        public boolean hasIdentityToken() {
            return identityToken != null && !identityToken.isEmpty();
        }

        @Override
        public String toString() {
            return "Credential[username=" + username + ", password=<redacted>, identityToken=<redacted>]";
        }
    }

    private final Path configJson;
    private final String path;

    private DockerCredentials(Path configJson, String path) {
        this.configJson = configJson;
        this.path = path;
    }

    /** No credentials at all (tests, benchmarks). */
    public static DockerCredentials empty() {
        return new DockerCredentials(null, null);
    }

    /**
     * Docker's locations for this environment: {@code $DOCKER_CONFIG/config.json}, else
     * {@code $HOME/.docker/config.json} (the JVM's user.home when HOME is unset); helpers are
     * looked up on this environment's {@code PATH}. For bangerd that is the environment it was
     * started with.
     */
    public static DockerCredentials fromEnvironment(Map<String, String> env) {
        return at(configPath(env), env.get("PATH"));
    }

    /** The config file {@link #fromEnvironment} reads. */
    static Path configPath(Map<String, String> env) {
        String dc = env.get("DOCKER_CONFIG");
        if (dc != null && !dc.isBlank()) return Path.of(dc, "config.json");
        String home = env.get("HOME");
        if (home == null || home.isBlank()) home = System.getProperty("user.home");
        return Path.of(home, ".docker", "config.json");
    }

    /** The file {@code configJson}, read at each lookup; helpers are searched on {@code path} (a PATH value). */
    public static DockerCredentials at(Path configJson, String path) {
        return new DockerCredentials(configJson, path == null ? "" : path);
    }

    /** {@link #at} with this process's PATH. Kept for callers that name a file. */
    public static DockerCredentials load(Path configJson) {
        return at(configJson, System.getenv("PATH"));
    }

    /** The config file looked up, if any ({@link #empty()} has none). */
    public Optional<Path> file() {
        return Optional.ofNullable(configJson);
    }

    /** Where the credentials come from, for messages: the config file, or "no docker config". */
    public String source() {
        return configJson == null ? "no docker config" : configJson.toString();
    }

    /**
     * The credential for {@code registry} (a host as in {@link ImageReference#registry()}), or empty.
     * An IOException names the file or helper and what is wrong.
     */
    public Optional<Credential> forRegistry(String registry) throws IOException, InterruptedException {
        if (configJson == null) return Optional.empty();
        JsonNode root = readConfig();
        if (root == null) return Optional.empty();
        String host = normalizeHost(registry);
        String helper = helperFor(root, host);
        if (helper != null) return fromHelper(helper, host);
        JsonNode auths = root.get("auths");
        if (auths != null && auths.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (normalizeHost(e.getKey()).equals(host)) {
                    Optional<Credential> c = credential(e.getValue());
                    if (c.isPresent()) return c;
                }
            }
        }
        return Optional.empty();
    }

    /** The parsed file, or null when it does not exist. */
    private JsonNode readConfig() throws IOException {
        byte[] bytes;
        try {
            if (Files.size(configJson) > MAX_CONFIG_BYTES) {
                throw new IOException("docker config " + configJson + " is larger than " + (MAX_CONFIG_BYTES >> 20) + " MiB");
            }
            bytes = Files.readAllBytes(configJson);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("docker config ")) throw e;
            throw new IOException("cannot read docker config " + configJson + ": " + e, e);
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new IOException("docker config " + configJson + " is not valid JSON" + where + ": " + firstLine(e.getOriginalMessage()), e);
        }
        if (root == null || root.isMissingNode()) return null;
        if (!root.isObject()) throw new IOException("docker config " + configJson + " is not a JSON object");
        return root;
    }

    /** {@code credHelpers} entry for the host, else {@code credsStore}, else null. */
    private String helperFor(JsonNode root, String host) throws IOException {
        JsonNode helpers = root.get("credHelpers");
        if (helpers != null && helpers.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = helpers.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (normalizeHost(e.getKey()).equals(host)) return helperName(e.getValue(), "credHelpers." + e.getKey());
            }
        }
        JsonNode store = root.get("credsStore");
        if (store == null || store.isNull() || store.isTextual() && store.asText().isEmpty()) return null;
        return helperName(store, "credsStore");
    }

    private String helperName(JsonNode value, String key) throws IOException {
        String name = value.isTextual() ? value.asText() : "";
        // The name becomes part of a file name on PATH: nothing that could walk out of a directory.
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IOException("docker config " + configJson + ": " + key + " must name a credential helper, got " + value);
        }
        return name;
    }

    /** Runs {@code docker-credential-<helper> get} as Docker's credential helper protocol says. */
    private Optional<Credential> fromHelper(String helper, String host) throws IOException, InterruptedException {
        String tool = "docker-credential-" + helper;
        String named = tool + " (named in " + configJson + ")";
        Path exe = findOnPath(tool);
        if (exe == null) throw new IOException("docker credential helper " + named + " is not installed: not found on PATH");
        String server = host.equals(ImageReference.DOCKER_HUB) ? DOCKER_HUB_SERVER : host;
        Path stdin = Files.createTempFile("banger-docker-credential-", ".in",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        HostCommand.Result r;
        try {
            Files.writeString(stdin, server);
            r = HostCommand.of(java.util.List.of(exe.toString(), "get"), HELPER_TIMEOUT).stdin(stdin).runUnchecked();
        } catch (IOException e) {
            throw new IOException("docker credential helper " + named + " failed for " + server + ": " + firstLine(e.getMessage()), e);
        } finally {
            Files.deleteIfExists(stdin);
        }
        if (r.exitCode() != 0) {
            String said = (r.stdout().isBlank() ? r.stderr() : r.stdout()).strip();
            if (said.equals(HELPER_NOT_FOUND)) return Optional.empty();
            throw new IOException("docker credential helper " + named + " failed for " + server + " (exit " + r.exitCode() + "): "
                    + (said.isEmpty() ? "(no output)" : firstLine(said)));
        }
        JsonNode answer;
        try {
            answer = Json.MAPPER.readTree(r.stdout());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException("docker credential helper " + named + " printed something that is not JSON for " + server, e);
        }
        String user = answer == null ? "" : text(answer, "Username");
        String secret = answer == null ? "" : text(answer, "Secret");
        if (secret.isEmpty()) return Optional.empty();
        // Docker's convention: Username "<token>" means Secret is an identity token, not a password.
        if (user.equals("<token>")) return Optional.of(new Credential("", "", secret));
        return Optional.of(new Credential(user, secret));
    }

    private Path findOnPath(String tool) {
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return candidate;
        }
        return null;
    }

    private static Optional<Credential> credential(JsonNode entry) {
        if (entry == null || !entry.isObject()) return Optional.empty();
        String token = text(entry, "identitytoken");
        String auth = text(entry, "auth");
        String user = text(entry, "username");
        String pass = text(entry, "password");
        if (!auth.isEmpty()) {
            try {
                String decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                if (colon > 0) {
                    user = decoded.substring(0, colon);
                    pass = decoded.substring(colon + 1);
                }
            } catch (IllegalArgumentException e) {
                // not base64: like Docker, an entry without usable credentials
            }
        }
        if (!token.isEmpty()) return Optional.of(new Credential(user, "", token));
        return user.isEmpty() ? Optional.empty() : Optional.of(new Credential(user, pass));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.asText() : "";
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.strip().lines().findFirst().orElse("");
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
