package dev.banger.daemon.image.build;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NETWORK: a real bookworm build that downloads ~60 MB of packages from deb.debian.org and takes
 * one to two minutes. Skip with BANGER_SKIP_NETWORK_TESTS=1 (or -DexcludedGroups=network).
 */
@Tag("network")
@DisabledIfEnvironmentVariable(named = "BANGER_SKIP_NETWORK_TESTS", matches = "1")
class DebianRootfsNetworkTest {
    @TempDir
    Path tmp;

    @Test
    void buildsBookwormWithDefaultPackages() throws Exception {
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        Path out = tmp.resolve("bookworm.ext4");
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        Ext4Result r = new DebianRootfsBuilder(new TarToExt4(scratch), scratch).build("bookworm",
                DebianRootfsBuilder.DEFAULT_PACKAGES, URI.create("http://deb.debian.org/debian"), out,
                (stage, detail) -> progress.add(stage + ": " + detail));
        long built = System.nanoTime();
        int fsck = Debugfs.fsck(out);
        long fsckDone = System.nanoTime();

        System.out.printf("MEASURE total=%.1fs fsck=%.1fs result=%s%n", (built - start) / 1e9, (fsckDone - built) / 1e9, r);
        progress.stream().filter(l -> l.contains("until the tar started") || l.startsWith("build_ext4")).forEach(l -> System.out.println("MEASURE " + l));

        assertThat(fsck).isZero();
        assertThat(scratch).isEmptyDirectory();
        assertThat(progress).anyMatch(l -> l.startsWith("build_rootfs: I: "));
        Map<String, Debugfs.Stat> s = Debugfs.statAll(out, List.of("/usr/bin/bash", "/bin", "/usr/sbin/sshd",
                "/etc/os-release", "/root", "/usr/bin/passwd", "/usr/bin/su", "/dev/null", "/etc/ssh/ssh_host_ed25519_key",
                "/usr/bin/chage", "/etc/shadow"), tmp);
        assertThat(s.get("/usr/bin/bash").type()).isEqualTo("regular");
        assertThat(s.get("/usr/bin/bash").mode()).isEqualTo(0755);
        assertThat(s.get("/usr/bin/bash").uid()).isZero();
        assertThat(s.get("/bin").type()).isEqualTo("symlink");
        assertThat(s.get("/bin").linkTarget()).isEqualTo("usr/bin");
        assertThat(s.get("/usr/sbin/sshd").type()).isEqualTo("regular");
        assertThat(s.get("/root").type()).isEqualTo("directory");
        assertThat(s.get("/root").mode()).isEqualTo(0700);
        assertThat(s.get("/root").uid()).isZero();
        assertThat(s.get("/root").gid()).isZero();
        assertThat(s.get("/usr/bin/passwd").mode()).isEqualTo(04755);
        assertThat(s.get("/usr/bin/su").mode()).isEqualTo(04755);
        assertThat(s.get("/etc/shadow").gid()).isEqualTo(42);
        assertThat(s.get("/usr/bin/chage").mode()).isEqualTo(02755);
        assertThat(s.get("/usr/bin/chage").gid()).isEqualTo(42);
        assertThat(s.get("/dev/null").type()).isEqualTo("character special");
        assertThat(s.get("/etc/ssh/ssh_host_ed25519_key")).isNull();
        // /etc/os-release is a symlink into /usr/lib; debugfs cat does not follow a final symlink.
        assertThat(s.get("/etc/os-release").linkTarget()).isEqualTo("../usr/lib/os-release");
        String osRelease = new String(Debugfs.cat(out, "/usr/lib/os-release"), StandardCharsets.UTF_8);
        assertThat(osRelease).contains("VERSION_CODENAME=bookworm");
        String lists = Debugfs.run(List.of("debugfs", "-R", "ls /var/lib/apt/lists", out.toString()));
        assertThat(lists).doesNotContain("_Packages");
        System.out.printf("MEASURE image apparent=%d MiB allocated=%d MiB%n", Files.size(out) >> 20,
                Long.parseLong(Debugfs.run(List.of("stat", "-c", "%b", out.toString())).trim()) * 512 >> 20);
    }
}
