package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code banger ssh-config} on a real rootless guest: its blocks in a config of their own make a
 * plain {@code ssh -F CONFIG NAME} work with StrictHostKeyChecking yes, so the host key in banger's
 * known_hosts is the guest's own (bangerd read it over the agent, right after the boot, while sshd
 * may still be making it). A known_hosts with another key, or none, makes ssh refuse: the check is
 * real, nothing is trusted on first use. {@code vm ssh} gets in the same way.
 */
class SshConfigE2eTest extends BootingE2eTest {
    @TempDir
    Path tmp;

    record Ssh(int exit, String stdout, String stderr) { }

    /** ssh itself, never prompting (BatchMode): a key it cannot check is a failure, not a question. */
    private static Ssh ssh(Path config, String host, String... command) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ssh", "-F", config.toString(), "-o", "BatchMode=yes", "-o", "ConnectTimeout=20", host));
        argv.addAll(List.of(command));
        Path out = Files.createTempFile("ssh-e2e", ".out");
        Path err = Files.createTempFile("ssh-e2e", ".err");
        try {
            Process p = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("ssh timed out: " + Files.readString(err));
            }
            return new Ssh(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void plainSshWithTheBlocksGetsInAndChecksTheGuestsOwnHostKey() throws Exception {
        Banger.Leftovers before = Banger.leftovers();
        JsonNode vm = Banger.run("vm", "create", "--name", "sshy", "--json").json();
        int port = vm.path("runtime").path("ssh_port").asInt();
        assertThat(port).isPositive();

        // at once after the boot: bangerd waits for sshd's keys
        Banger.Result printed = Banger.run("ssh-config");
        assertThat(printed.exit()).as(printed.stderr()).isZero();
        Path state = Banger.stateDir();
        assertThat(printed.stdout()).isEqualTo("Host sshy\n  HostName 127.0.0.1\n  Port " + port + "\n  User root\n"
                + "  IdentityFile " + state.resolve("ssh/id_ed25519") + "\n  IdentitiesOnly yes\n"
                + "  UserKnownHostsFile " + state.resolve("ssh/known_hosts") + "\n  StrictHostKeyChecking yes\n");
        Path knownHosts = state.resolve("ssh/known_hosts");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(knownHosts))).isEqualTo("rw-------");
        List<String> lines = Files.readAllLines(knownHosts).stream().filter(l -> !l.startsWith("#")).toList();
        assertThat(lines).isNotEmpty().allMatch(l -> l.startsWith("[127.0.0.1]:" + port + " "));
        assertThat(lines).anyMatch(l -> l.contains(" ssh-ed25519 "));

        // the guest's key, as the guest itself has it
        String guestKey = Banger.ok("vm", "exec", "sshy", "--", "cat", "/etc/ssh/ssh_host_ed25519_key.pub").strip().split(" ")[1];
        assertThat(lines).anyMatch(l -> l.endsWith("ssh-ed25519 " + guestKey));

        Path config = tmp.resolve("config");
        Files.writeString(config, printed.stdout());
        Ssh in = ssh(config, "sshy", "hostname");
        assertThat(in.exit()).as(in.stderr()).isZero();
        assertThat(in.stdout().strip()).isEqualTo("sshy");

        // another key under the same name: ssh refuses (the check is on); no known key at all: refused too (no first use)
        String otherKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEtCMfHxy9PmD/HvBNS3uCldLbBwXUJaLM8WwhvpjeM/";
        for (String wrong : List.of("[127.0.0.1]:" + port + " " + otherKey + "\n", "")) {
            Path wrongHosts = tmp.resolve("wrong_known_hosts");
            Files.writeString(wrongHosts, wrong);
            Path wrongConfig = tmp.resolve("wrong_config");
            Files.writeString(wrongConfig, printed.stdout().replace(knownHosts.toString(), wrongHosts.toString())
                    + "  GlobalKnownHostsFile /dev/null\n");
            Ssh refused = ssh(wrongConfig, "sshy", "hostname");
            assertThat(refused.exit()).as("ssh with known_hosts '%s'", wrong).isEqualTo(255);
            assertThat(refused.stderr()).contains("Host key verification failed");
            assertThat(refused.stdout()).isEmpty();
        }

        Banger.Result viaVmSsh = Banger.run("vm", "ssh", "sshy", "--", "hostname");
        assertThat(viaVmSsh.exit()).as(viaVmSsh.stderr()).isZero();
        assertThat(viaVmSsh.stdout().strip()).isEqualTo("sshy");

        Banger.Result json = Banger.run("ssh-config", "sshy", "--json");
        assertThat(json.exit()).as(json.stderr()).isZero();
        JsonNode host = json.json().path("hosts").path(0);
        assertThat(host.path("vm").asText()).isEqualTo("sshy");
        assertThat(host.path("port").asInt()).isEqualTo(port);
        assertThat(host.path("host_keys").toString()).contains(guestKey);

        Banger.ok("vm", "stop", "sshy");
        Banger.Result stopped = Banger.run("ssh-config", "sshy");
        assertThat(stopped.exit()).isEqualTo(5);
        assertThat(stopped.stderr()).contains("not running");
        assertThat(Banger.run("vm", "ssh", "sshy").exit()).isEqualTo(5);
        // no VM runs: no blocks, and the file holds no key
        assertThat(Banger.ok("ssh-config")).isEmpty();
        assertThat(Files.readAllLines(knownHosts)).allMatch(l -> l.startsWith("#"));

        Banger.ok("vm", "rm", "sshy");
        assertThat(before.addedIn(Banger.leftovers())).as("what the VM left behind").isEqualTo(Banger.Leftovers.NONE);
    }
}
