package dev.banger.daemon.image.oci;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

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
                 },
                 "credHelpers": {"gcr.io": "gcloud"},
                 "credsStore": "desktop"}
                """.formatted(b64("gu:gp:with:colons"), b64("lu:lp"), b64("hub:hp")));
        assertThat(c.forRegistry("ghcr.io")).contains(new DockerCredentials.Credential("gu", "gp:with:colons"));
        assertThat(c.forRegistry("quay.io")).contains(new DockerCredentials.Credential("qu", "qp"));
        assertThat(c.forRegistry("127.0.0.1:5000")).contains(new DockerCredentials.Credential("lu", "lp"));
        assertThat(c.forRegistry("127.0.0.1:5001")).isEmpty();
        assertThat(c.forRegistry("registry-1.docker.io")).contains(new DockerCredentials.Credential("hub", "hp"));
        assertThat(c.forRegistry("empty.example")).isEmpty();
        assertThat(c.forRegistry("broken.example")).isEmpty();
        assertThat(c.forRegistry("gcr.io")).as("credHelpers are not supported").isEmpty();
        assertThat(c.forRegistry("ghcr.io").orElseThrow().toString()).doesNotContain("gp");
    }

    @Test
    void emptyOrAuthlessConfigsAreFineAndGarbageIsAClearError() throws Exception {
        assertThat(load("{}").forRegistry("ghcr.io")).isEmpty();
        assertThat(load("{\"credsStore\":\"osxkeychain\"}").forRegistry("ghcr.io")).isEmpty();
        assertThatThrownBy(() -> load("{not json")).isInstanceOf(IOException.class).hasMessageContaining("cannot parse docker config");
    }
}
