package dev.banger.daemon.image.seed;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class SshKeysTest {
    @TempDir
    Path tmp;
    Path keyDir;
    Path userSsh;

    @BeforeEach
    void dirs() throws Exception {
        keyDir = tmp.resolve("state/ssh");
        userSsh = Files.createDirectory(tmp.resolve("user-ssh"));
    }

    private static String perms(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void createsAnEd25519KeyPairWithPrivateModes() throws Exception {
        Path priv = new SshKeys(keyDir, userSsh).ensureKeyPair();

        assertThat(priv).isEqualTo(keyDir.resolve("id_ed25519").toAbsolutePath());
        Path pub = keyDir.resolve("id_ed25519.pub");
        assertThat(perms(keyDir)).isEqualTo("rwx------");
        assertThat(perms(priv)).isEqualTo("rw-------");
        assertThat(perms(pub)).isEqualTo("rw-------");
        assertThat(Files.readString(priv)).contains("BEGIN OPENSSH PRIVATE KEY");
        assertThat(Files.readString(pub)).startsWith("ssh-ed25519 ").contains(" banger");
        // No temp files left behind.
        try (var s = Files.list(keyDir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("id_ed25519", "id_ed25519.pub");
        }
    }

    @Test
    void secondCallKeepsTheSameKey() throws Exception {
        SshKeys keys = new SshKeys(keyDir, userSsh);
        Path priv = keys.ensureKeyPair();
        String first = Files.readString(priv);
        String firstPub = Files.readString(keyDir.resolve("id_ed25519.pub"));

        assertThat(new SshKeys(keyDir, userSsh).ensureKeyPair()).isEqualTo(priv);
        assertThat(Files.readString(priv)).isEqualTo(first);
        assertThat(Files.readString(keyDir.resolve("id_ed25519.pub"))).isEqualTo(firstPub);
    }

    @Test
    void concurrentCallsAgreeOnOneKey() throws Exception {
        List<Callable<String>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(() -> {
                Path priv = new SshKeys(keyDir, userSsh).ensureKeyPair();
                return Files.readString(priv) + Files.readString(priv.resolveSibling("id_ed25519.pub"));
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<String> seen = new ArrayList<>();
            for (Future<String> f : pool.invokeAll(calls)) {
                seen.add(f.get());
            }
            assertThat(seen).containsOnly(seen.getFirst());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aMissingPublicKeyIsDerivedFromThePrivateOne() throws Exception {
        SshKeys keys = new SshKeys(keyDir, userSsh);
        keys.ensureKeyPair();
        Path pub = keyDir.resolve("id_ed25519.pub");
        String blob = Files.readString(pub).split(" ")[1];
        Files.delete(pub);

        keys.ensureKeyPair();

        assertThat(Files.readString(pub).split(" ")[1]).isEqualTo(blob);
    }

    @Test
    void authorizedKeysListsBangerFirstThenUserKeysSortedAndSkipsJunk() throws Exception {
        String b = SeedFixtures.fakePublicKey("b@host");
        String a = SeedFixtures.fakePublicKey("a@host");
        String ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= e@host";
        Files.writeString(userSsh.resolve("id_b.pub"), b + "\n");
        Files.writeString(userSsh.resolve("id_a.pub"), a + "\r\n");
        Files.writeString(userSsh.resolve("id_ecdsa.pub"), ecdsa);
        Files.writeString(userSsh.resolve("dup.pub"), a.replace("a@host", "other comment") + "\n");
        Files.writeString(userSsh.resolve("junk.pub"), "not a key\n");
        Files.writeString(userSsh.resolve("two.pub"), a + "\n" + b + "\n");
        Files.writeString(userSsh.resolve("ctrl.pub"), SeedFixtures.fakePublicKey("bell\u0007") + "\n");
        Files.writeString(userSsh.resolve("huge.pub"), "ssh-ed25519 " + "A".repeat(17 * 1024) + "\n");
        Files.write(userSsh.resolve("binary.pub"), new byte[] {'s', 's', 'h', '-', (byte) 0xff, ' ', 'A'});
        Files.writeString(userSsh.resolve("id_a"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        Files.writeString(userSsh.resolve("known_hosts"), "host " + b + "\n");
        Files.createDirectory(userSsh.resolve("dir.pub"));

        SshKeys keys = new SshKeys(keyDir, userSsh);
        List<String> lines = keys.authorizedKeys();

        String own = Files.readString(keyDir.resolve("id_ed25519.pub")).strip();
        // dup.pub sorts first but carries id_a's key: first occurrence wins, once.
        String dup = a.replace("a@host", "other comment");
        assertThat(lines).containsExactly(own, dup, b, ecdsa);
    }

    @Test
    void worksWithoutAUserSshDirectory() throws Exception {
        SshKeys keys = new SshKeys(keyDir, tmp.resolve("no-such-dir"));
        assertThat(keys.authorizedKeys()).hasSize(1).first().asString().startsWith("ssh-ed25519 ");
    }

    @Test
    void fingerprintIsTheHashOfAuthorizedKeysAndChangesWhenAUserKeyIsAdded() throws Exception {
        SshKeys keys = new SshKeys(keyDir, userSsh);
        String before = keys.fingerprint();
        assertThat(before).matches("[0-9a-f]{64}");
        assertThat(keys.fingerprint()).isEqualTo(before);
        assertThat(before).isEqualTo(SshKeys.fingerprintOf(keys.authorizedKeys()));

        Files.writeString(userSsh.resolve("id_new.pub"), SeedFixtures.fakePublicKey("new") + "\n");
        String after = keys.fingerprint();
        assertThat(after).isNotEqualTo(before);

        Files.writeString(userSsh.resolve("id_junk.pub"), "junk\n");
        assertThat(keys.fingerprint()).isEqualTo(after);
    }
}
