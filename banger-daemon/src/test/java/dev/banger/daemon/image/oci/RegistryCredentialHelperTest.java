package dev.banger.daemon.image.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.image.build.TarBuilder;
import dev.banger.daemon.image.oci.OciLayoutFixture.Compression;
import dev.banger.daemon.image.oci.OciLayoutFixture.Layer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls from a real token-auth registry with credentials from a real credential helper process
 * (a script on a PATH of the test's making), as Docker's credential helper protocol describes.
 */
class RegistryCredentialHelperTest {
    @TempDir
    Path tmp;

    private OciLayoutFixture.Written image() throws IOException {
        byte[] tar = new TarBuilder().dir("etc", 0755, 0, 0).file("etc/hello", 0644, 0, 0, "from a helper's registry\n").bytes();
        return OciLayoutFixture.write(tmp.resolve("layout"), "v1", List.of(new Layer(tar, Compression.GZIP)),
                new OciLayoutFixture.Config(List.of("/bin/sh"), List.of(), List.of(), "/", null));
    }

    private String helperPath(String answer) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path exe = bin.resolve("docker-credential-test");
        Files.writeString(exe, "#!/bin/sh\nread -r server\necho \"$server\" > " + tmp.resolve("asked") + "\necho '" + answer + "'\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwx------"));
        return bin.toString();
    }

    @Test
    void aPasswordFromCredsStoreHelperAuthenticatesThePull() throws Exception {
        try (TestRegistry reg = TestRegistry.startWithTokenAuth("helper-user", "helper secret")) {
            OciLayoutFixture.Written w = image();
            reg.push(w, "private/app:v1");
            Path config = tmp.resolve("config.json");
            Files.writeString(config, "{\"credsStore\": \"test\"}");
            DockerCredentials creds = DockerCredentials.at(config, helperPath("{\"ServerURL\":\"x\",\"Username\":\"helper-user\",\"Secret\":\"helper secret\"}"));
            PulledImage img = new RegistryClient(dev.banger.daemon.fetch.HttpClients.standard(), new BlobCache(tmp.resolve("cache")), creds, Set.of())
                    .pull(ImageReference.parse(reg.host() + "/private/app:v1"), ProgressSink.NONE);
            assertThat(img.manifestDigest()).isEqualTo(w.manifestDigest());
            assertThat(Files.readString(tmp.resolve("asked")).strip()).isEqualTo(reg.host());
        }
    }

    @Test
    void anIdentityTokenFromAHelperIsExchangedWithTheRefreshTokenGrant() throws Exception {
        try (TestRegistry reg = TestRegistry.startWithTokenAuth("ignored", "the-identity-token")) {
            OciLayoutFixture.Written w = image();
            reg.push(w, "private/app:v1");
            Path config = tmp.resolve("config.json");
            Files.writeString(config, "{\"credHelpers\": {\"" + reg.host() + "\": \"test\"}}");
            DockerCredentials creds = DockerCredentials.at(config, helperPath("{\"Username\":\"<token>\",\"Secret\":\"the-identity-token\"}"));
            int issuedBefore = reg.tokensIssued();
            PulledImage img = new RegistryClient(dev.banger.daemon.fetch.HttpClients.standard(), new BlobCache(tmp.resolve("cache")), creds, Set.of())
                    .pull(ImageReference.parse(reg.host() + "/private/app:v1"), ProgressSink.NONE);
            assertThat(img.manifestDigest()).isEqualTo(w.manifestDigest());
            assertThat(reg.tokensIssued() - issuedBefore).isEqualTo(1);
        }
    }

    @Test
    void aBrokenConfigFailsTheAuthenticatedPullNamingTheFile() throws Exception {
        try (TestRegistry reg = TestRegistry.startWithTokenAuth("u", "p")) {
            Path config = tmp.resolve("config.json");
            Files.writeString(config, "{\"auths\": ");
            assertThatThrownBy(() -> new RegistryClient(dev.banger.daemon.fetch.HttpClients.standard(), new BlobCache(tmp.resolve("cache")),
                    DockerCredentials.at(config, ""), Set.of()).pull(ImageReference.parse(reg.host() + "/private/app:v1"), ProgressSink.NONE))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("docker config " + config + " is not valid JSON");
        }
    }
}
