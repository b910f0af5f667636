package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.RpcClient;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.image.oci.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real bangerd (its own JVM, its own home) with a broken docker config: it must start and
 * serve, and only a pull that needs credentials fails, naming the file (issue 8, item 11).
 */
class BangerdDockerConfigTest {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final String BROKEN = "{\"auths\": {\"ghcr.io\": {\"auth\": \"eDp5\"},\n";

    @TempDir
    Path tmp;
    Process bangerd;

    @AfterEach
    void stopBangerd() throws Exception {
        if (bangerd != null && bangerd.isAlive()) {
            bangerd.destroy();
            if (!bangerd.waitFor(15, TimeUnit.SECONDS)) {
                bangerd.destroyForcibly();
                bangerd.waitFor(15, TimeUnit.SECONDS);
            }
        }
    }

    /** Starts bangerd the way the CLI does (a separate process inheriting the caller's environment, plus these). */
    private Path startBangerd(Map<String, String> env) throws IOException, InterruptedException {
        Path home = tmp.resolve("banger-home");
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"), Bangerd.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("bangerd.out").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().remove("DOCKER_CONFIG");
        pb.environment().put("BANGER_HOME", home.toString());
        pb.environment().putAll(env);
        bangerd = pb.start();
        Path socket = home.resolve("run/bangerd.sock");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(socket)) {
            if (!bangerd.isAlive()) {
                throw new AssertionError("bangerd exited " + bangerd.exitValue() + " at start: " + Files.readString(tmp.resolve("bangerd.out")));
            }
            if (System.nanoTime() > deadline) throw new AssertionError("bangerd did not serve within " + START_TIMEOUT);
            Thread.sleep(50);
        }
        return socket;
    }

    private void assertServesAndFailsOnlyTheAuthenticatedPull(Path socket, Path brokenFile) throws Exception {
        try (TestRegistry anonymousOnly = TestRegistry.start();
             TestRegistry tokenAuth = TestRegistry.startWithTokenAuth("owner", "secret");
             RpcClient c = RpcClient.connect(socket)) {
            assertThat(c.call("daemon.status", Map.of()).path("pid").asLong()).isEqualTo(bangerd.pid());
            // No credentials needed: the broken file is never read (the image is absent, so "not found").
            assertThatThrownBy(() -> c.call("image.pull", Map.of("ref", anonymousOnly.host() + "/banger/absent:1")))
                    .hasMessageContaining("not found").satisfies(e -> assertThat(e.getMessage()).doesNotContain("docker config"));
            // Credentials needed: the error names the file and what is wrong with it, on one line.
            assertThatThrownBy(() -> c.call("image.pull", Map.of("ref", tokenAuth.host() + "/private/app:v1")))
                    .isInstanceOf(RpcException.class)
                    .hasMessageStartingWith("docker config " + brokenFile + " is not valid JSON");
            assertThat(c.call("daemon.status", Map.of()).path("pid").asLong()).as("still serving").isEqualTo(bangerd.pid());
        }
    }

    @Test
    void aMalformedDockerConfigInHomeDoesNotStopBangerdAndOnlyFailsPullsNeedingCredentials() throws Exception {
        Path userHome = Files.createDirectories(tmp.resolve("user-home"));
        Path broken = Files.createDirectories(userHome.resolve(".docker")).resolve("config.json");
        Files.writeString(broken, BROKEN);
        // HOME is what Docker (and bangerd now) read; user.home is what bangerd used to read.
        Path socket = startBangerd(Map.of("HOME", userHome.toString(), "JAVA_TOOL_OPTIONS", "-Duser.home=" + userHome));
        assertServesAndFailsOnlyTheAuthenticatedPull(socket, broken);
    }

    @Test
    void dockerConfigFromTheEnvironmentBangerdWasStartedWithIsHonoured() throws Exception {
        Path dockerConfig = Files.createDirectories(tmp.resolve("docker-config"));
        Path broken = dockerConfig.resolve("config.json");
        Files.writeString(broken, BROKEN);
        Path socket = startBangerd(Map.of("DOCKER_CONFIG", dockerConfig.toString(), "HOME", Files.createDirectories(tmp.resolve("empty-home")).toString()));
        assertServesAndFailsOnlyTheAuthenticatedPull(socket, broken);
    }
}
