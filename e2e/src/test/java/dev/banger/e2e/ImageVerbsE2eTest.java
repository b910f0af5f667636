package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** image promote and import, and the SSH key every work disk carries, on real guests. */
class ImageVerbsE2eTest extends BootingE2eTest {
    @TempDir
    Path tmp;

    @Test
    void promotedVmRootBootsAsANewImage() throws Exception {
        Banger.ok("vm", "create", "--name", "promo-src");
        try {
            Banger.ok("vm", "exec", "promo-src", "--", "sh", "-c", "echo promoted > /etc/promoted-marker && sync");
            Banger.Result running = Banger.run("image", "promote", "promo-src", "promoted");
            assertThat(running.exit()).isNotZero();
            assertThat(running.stderr()).contains("is running");

            Banger.ok("vm", "stop", "promo-src");
            JsonNode image = Banger.run("image", "promote", "promo-src", "promoted", "--json").json();
            assertThat(image.path("source").asText()).startsWith("promote:promo-src@");
            Banger.Result r = Banger.run("vm", "run", "--rm", "--image", "promoted", "--", "cat", "/etc/promoted-marker");
            assertThat(r.exit()).as(r.stderr()).isZero();
            assertThat(r.stdout().strip()).isEqualTo("promoted");
        } finally {
            Banger.run("vm", "rm", "--force", "promo-src");
            Banger.run("image", "rm", "promoted");
        }
    }

    @Test
    void importedDirectoryBootsAndItsWorkDiskHoldsBangersKey() throws Exception {
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("root"));
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
        Files.setPosixFilePermissions(root.resolve("bin/busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
        Files.createSymbolicLink(root.resolve("bin/cat"), Path.of("busybox"));
        Files.writeString(root.resolve("etc/imported"), "from a directory\n");
        Files.writeString(root.resolve("root/.profile"), "# skeleton from the image\n");

        Banger.ok("image", "import", "from-dir", root.toString());
        try {
            Banger.Result r = Banger.run("vm", "run", "--rm", "--image", "from-dir", "--", "sh", "-c",
                    "cat /etc/imported /root/.profile /root/.ssh/authorized_keys");
            assertThat(r.exit()).as(r.stderr()).isZero();
            String bangerKey = Files.readString(Banger.stateDir().resolve("ssh/id_ed25519.pub")).strip();
            assertThat(r.stdout()).contains("from a directory").contains("# skeleton from the image").contains(bangerKey);
        } finally {
            Banger.run("image", "rm", "from-dir");
        }
    }

    @Test
    void vmSshLogsInWithBangersKey() throws Exception {
        Banger.ok("vm", "create", "--name", "ssh-key");
        try {
            // sshd starts in the background after the agent; give it a few seconds.
            Banger.Result r = null;
            for (int i = 0; i < 30; i++) {
                r = Banger.run("vm", "ssh", "ssh-key", "--", "id", "-un");
                if (r.exit() == 0) break;
                Thread.sleep(1000);
            }
            assertThat(r.exit()).as(r.stderr()).isZero();
            assertThat(r.stdout().strip()).isEqualTo("root");
        } finally {
            Banger.run("vm", "rm", "--force", "ssh-key");
        }
    }
}
