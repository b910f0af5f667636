package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.banger.daemon.kernel.KernelBundles;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A guest boots from a kernel that was pulled, not imported: the Debian kernel the shared image
 * uses is packed into a bundle, served from a local HTTP server through a catalog file, pulled
 * with {@code kernel pull --catalog}, and booted via an image registered with that kernel.
 */
class KernelPullE2eTest extends BootingE2eTest {
    @TempDir
    Path tmp;

    @Test
    void vmBootsFromAPulledKernel() throws Exception {
        Path bundle = tmp.resolve("kernel.tar.zst");
        try (OutputStream out = Files.newOutputStream(bundle)) {
            KernelBundles.write(Banger.stateDir().resolve("kernels/debian-cloud"), out);
        }
        byte[] bytes = Files.readAllBytes(bundle);
        String version = Banger.run("kernel", "show", "debian-cloud", "--json").json().path("kernel_version").asText();

        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/bundles/pulled.tar.zst", ex -> {
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream body = ex.getResponseBody()) {
                body.write(bytes);
            }
        });
        server.start();
        try {
            Path catalog = tmp.resolve("catalog.json");
            Files.writeString(catalog, """
                    {"version": 1, "entries": [{"name": "e2e-pulled", "distro": "debian", "arch": "x86_64",
                      "kernel_version": "%s", "tarball_url": "http://127.0.0.1:%d/bundles/pulled.tar.zst",
                      "tarball_sha256": "%s", "size_bytes": %d, "description": "the shared kernel, as a bundle"}]}"""
                    .formatted(version, server.getAddress().getPort(),
                            dev.banger.daemon.fs.Sha256.of(bytes), bytes.length));

            JsonNode before = Banger.run("kernel", "ls", "--available", "--catalog", catalog.toString(), "--json").json();
            assertThat(before.get(0).path("pulled").asBoolean()).isFalse();

            JsonNode pulled = Banger.run("kernel", "pull", "e2e-pulled", "--catalog", catalog.toString(), "--json").json();
            assertThat(pulled.path("source").asText()).startsWith("pull:http://127.0.0.1:");
            assertThat(pulled.path("kernel_version").asText()).isEqualTo(version);

            JsonNode after = Banger.run("kernel", "ls", "--available", "--catalog", catalog.toString(), "--json").json();
            assertThat(after.get(0).path("pulled").asBoolean()).isTrue();
            Banger.Result again = Banger.run("kernel", "pull", "e2e-pulled", "--catalog", catalog.toString());
            assertThat(again.exit()).isNotZero();
            assertThat(again.stderr()).contains("already pulled");

            String rootfs = Banger.run("image", "show", "debian", "--json").json().path("rootfs_path").asText();
            Banger.ok("image", "register", "e2e-pulled-img", "--rootfs", rootfs, "--kernel-ref", "e2e-pulled");
            JsonNode vm = Banger.run("vm", "create", "--name", "pulled-kernel", "--image", "e2e-pulled-img", "--json").json();
            assertThat(Banger.cmdline(vm.path("runtime").path("pid").asLong())).contains("/kernels/e2e-pulled/vmlinux");
            assertThat(Banger.ok("vm", "exec", "pulled-kernel", "--", "uname", "-r").strip()).isEqualTo(version);
        } finally {
            server.stop(0);
            Banger.run("vm", "rm", "--force", "pulled-kernel");
            Banger.run("image", "rm", "e2e-pulled-img");
            Banger.run("kernel", "rm", "e2e-pulled");
        }
        assertThat(Banger.stateDir().resolve("kernels/e2e-pulled")).doesNotExist();
    }
}
