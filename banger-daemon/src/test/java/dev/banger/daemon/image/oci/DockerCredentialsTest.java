package dev.banger.daemon.image.oci;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DockerCredentialsTest {
    @TempDir
    Path tmp;

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private DockerCredentials load(String json) throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, json);
        return DockerCredentials.load(p);
    }

    @Test
    void missingFileMeansNoCredentials() throws Exception {
        DockerCredentials c = DockerCredentials.load(tmp.resolve("nope/config.json"));
        assertThat(c.forRegistry("ghcr.io")).isEmpty();
    }

    @Test
    void readsAuthFieldUsernamePasswordAndUrlKeys() throws Exception {
        DockerCredentials c = load("""
                {"auths": {
                   "ghcr.io": {"auth": "%s"},
                   "https://quay.io": {"username": "qu", "password": "qp"},
                   "http://127.0.0.1:5000/v2/": {"auth": "%s"},
                   "https://index.docker.io/v1/": {"auth": "%s"},
                   "empty.example": {},
                   "broken.example": {"auth": "!!!not base64"}
                 }}
                """.formatted(b64("gu:gp:with:colons"), b64("lu:lp"), b64("hub:hp")));
        assertThat(c.forRegistry("ghcr.io")).contains(new DockerCredentials.Credential("gu", "gp:with:colons"));
        assertThat(c.forRegistry("quay.io")).contains(new DockerCredentials.Credential("qu", "qp"));
        assertThat(c.forRegistry("127.0.0.1:5000")).contains(new DockerCredentials.Credential("lu", "lp"));
        assertThat(c.forRegistry("127.0.0.1:5001")).isEmpty();
        assertThat(c.forRegistry("registry-1.docker.io")).contains(new DockerCredentials.Credential("hub", "hp"));
        assertThat(c.forRegistry("empty.example")).isEmpty();
        assertThat(c.forRegistry("broken.example")).isEmpty();
        assertThat(c.forRegistry("ghcr.io").orElseThrow().toString()).doesNotContain("gp");
    }

    @Test
    void emptyOrAuthlessConfigsMeanNoCredentials() throws Exception {
        assertThat(load("{}").forRegistry("ghcr.io")).isEmpty();
        assertThat(load("").forRegistry("ghcr.io")).isEmpty();
        assertThat(load("{\"auths\":{\"ghcr.io\":{}}}").forRegistry("ghcr.io")).isEmpty();
    }

    // ---- issue 8, item 11: a broken file fails lookups, not the daemon; DOCKER_CONFIG; helpers ----

    @Test
    void aMalformedConfigOnlyFailsTheLookupNamingTheFileAndWhatIsWrongOnOneLine() throws Exception {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, "{\"auths\": {\"ghcr.io\": {\"auth\": \"x\"},\n}");
        DockerCredentials c = DockerCredentials.at(p, "");
        assertThatThrownBy(() -> c.forRegistry("ghcr.io")).isInstanceOf(IOException.class)
                .hasMessageStartingWith("docker config " + p + " is not valid JSON (line 2, column")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        Files.writeString(p, "[1, 2]");
        assertThatThrownBy(() -> c.forRegistry("ghcr.io")).hasMessage("docker config " + p + " is not a JSON object");
        // The file is read at each lookup: fixing it fixes the next pull without restarting bangerd.
        Files.writeString(p, "{\"auths\":{\"ghcr.io\":{\"username\":\"u\",\"password\":\"p\"}}}");
        assertThat(c.forRegistry("ghcr.io")).contains(new DockerCredentials.Credential("u", "p"));
    }

    @Test
    void dockerConfigNamesTheDirectoryOfConfigJsonElseHomeDotDocker() throws Exception {
        Path dc = Files.createDirectories(tmp.resolve("dc"));
        Files.writeString(dc.resolve("config.json"), "{\"auths\":{\"ghcr.io\":{\"auth\":\"" + b64("from:docker-config") + "\"}}}");
        Path home = tmp.resolve("home");
        Files.createDirectories(home.resolve(".docker"));
        Files.writeString(home.resolve(".docker/config.json"), "{\"auths\":{\"ghcr.io\":{\"auth\":\"" + b64("from:home") + "\"}}}");

        Map<String, String> withDockerConfig = Map.of("DOCKER_CONFIG", dc.toString(), "HOME", home.toString());
        assertThat(DockerCredentials.configPath(withDockerConfig)).isEqualTo(dc.resolve("config.json"));
        assertThat(DockerCredentials.fromEnvironment(withDockerConfig).forRegistry("ghcr.io"))
                .contains(new DockerCredentials.Credential("from", "docker-config"));
        Map<String, String> homeOnly = Map.of("HOME", home.toString());
        assertThat(DockerCredentials.fromEnvironment(homeOnly).forRegistry("ghcr.io"))
                .contains(new DockerCredentials.Credential("from", "home"));
    }

    /** Writes an executable docker-credential-NAME into bin/ that runs {@code body} (sh) with the server on stdin. */
    private Path helper(String name, String body) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path exe = bin.resolve("docker-credential-" + name);
        Files.writeString(exe, "#!/bin/sh\n[ \"$1\" = get ] || { echo \"unexpected verb $1\"; exit 9; }\n"
                + "read -r server\nprintf '%s\\n' \"$server\" >> " + tmp.resolve("helper-stdin.log") + "\n" + body + "\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwx------"));
        return bin;
    }

    private DockerCredentials withHelpers(String json) throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, json);
        return DockerCredentials.at(p, "/nonexistent:" + tmp.resolve("bin"));
    }

    @Test
    void credHelpersAndCredsStoreRunTheHelperWithTheServerOnStdinAndReadItsJson() throws Exception {
        helper("per-host", """
                case "$server" in
                  ghcr.io) echo '{"ServerURL":"ghcr.io","Username":"gh-user","Secret":"gh secret"}' ;;
                  *) echo "credentials not found in native keychain"; exit 1 ;;
                esac""");
        helper("store", """
                case "$server" in
                  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"hub-user","Secret":"hub-pass"}' ;;
                  quay.io) echo '{"ServerURL":"quay.io","Username":"<token>","Secret":"refresh-me"}' ;;
                  *) echo "credentials not found in native keychain"; exit 1 ;;
                esac""");
        DockerCredentials c = withHelpers("""
                {"credHelpers": {"ghcr.io": "per-host", "https://index.docker.io/v1/": "store"},
                 "credsStore": "store",
                 "auths": {"ghcr.io": {"auth": "%s"}, "other.example": {}}}
                """.formatted(b64("file:ignored")));
        assertThat(c.forRegistry("ghcr.io")).as("credHelpers wins over auths")
                .contains(new DockerCredentials.Credential("gh-user", "gh secret"));
        assertThat(c.forRegistry("registry-1.docker.io")).contains(new DockerCredentials.Credential("hub-user", "hub-pass"));
        DockerCredentials.Credential token = c.forRegistry("quay.io").orElseThrow();
        assertThat(token.hasIdentityToken()).as("Username <token> means an identity token").isTrue();
        assertThat(token.identityToken()).isEqualTo("refresh-me");
        assertThat(c.forRegistry("other.example")).as("the helper's not-found answer means none").isEmpty();
        assertThat(Files.readAllLines(tmp.resolve("helper-stdin.log")))
                .containsExactly("ghcr.io", "https://index.docker.io/v1/", "quay.io", "other.example");
    }

    @Test
    void aHelperThatFailsOrIsMissingIsAClearErrorNamingIt() throws Exception {
        helper("broken", "echo 'keyring locked: cannot unlock'; exit 1");
        DockerCredentials broken = withHelpers("{\"credsStore\":\"broken\"}");
        assertThatThrownBy(() -> broken.forRegistry("ghcr.io")).isInstanceOf(IOException.class)
                .hasMessageContaining("docker credential helper docker-credential-broken (named in " + tmp.resolve("config.json") + ")")
                .hasMessageContaining("failed for ghcr.io (exit 1): keyring locked: cannot unlock");

        DockerCredentials missing = withHelpers("{\"credHelpers\":{\"ghcr.io\":\"nope\"}}");
        assertThatThrownBy(() -> missing.forRegistry("ghcr.io"))
                .hasMessageContaining("docker-credential-nope")
                .hasMessageContaining("is not installed: not found on PATH");
        assertThat(missing.forRegistry("quay.io")).as("other hosts do not use that helper").isEmpty();

        helper("garbled", "echo 'not json at all'");
        assertThatThrownBy(() -> withHelpers("{\"credsStore\":\"garbled\"}").forRegistry("ghcr.io"))
                .hasMessageContaining("docker-credential-garbled").hasMessageContaining("not JSON");

        assertThatThrownBy(() -> withHelpers("{\"credsStore\":\"../../bin/sh\"}").forRegistry("ghcr.io"))
                .hasMessageContaining("credsStore must name a credential helper");
    }
}
