package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmSshHost;
import dev.banger.core.api.VmSshHosts;
import dev.banger.core.rpc.RpcException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code banger ssh-config} prints and what {@code vm ssh} runs, from a vm.ssh.hosts result. */
class SshConfigCommandTest {
    static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEtCMfHxy9PmD/HvBNS3uCldLbBwXUJaLM8WwhvpjeM/";
    static final VmSshHost DEV = new VmSshHost("dev", "127.0.0.1", 40222, null, List.of(KEY), null);
    static final VmSshHost WEB = new VmSshHost("web", "172.30.0.11", 22, "web.vm", List.of(KEY), null);
    static final VmSshHost BARE = new VmSshHost("bare", "127.0.0.1", 40223, null, List.of(), "vm bare: sshd made no host keys in /etc/ssh within 60 s");

    static VmSshHosts result(String state, VmSshHost... hosts) {
        return new VmSshHosts(state + "/ssh/known_hosts", state + "/ssh/id_ed25519", List.of(hosts));
    }

    @Test
    void oneBlockPerVmWithKeysTheDotVmAliasOnlyWhenBridged() {
        assertThat(SshConfigCommand.render(result("/home/u/.local/state/banger", BARE, DEV, WEB))).isEqualTo("""
                Host dev
                  HostName 127.0.0.1
                  Port 40222
                  User root
                  IdentityFile /home/u/.local/state/banger/ssh/id_ed25519
                  IdentitiesOnly yes
                  UserKnownHostsFile /home/u/.local/state/banger/ssh/known_hosts
                  StrictHostKeyChecking yes

                Host web web.vm
                  HostName 172.30.0.11
                  Port 22
                  User root
                  IdentityFile /home/u/.local/state/banger/ssh/id_ed25519
                  IdentitiesOnly yes
                  UserKnownHostsFile /home/u/.local/state/banger/ssh/known_hosts
                  StrictHostKeyChecking yes
                """);
        assertThat(SshConfigCommand.render(result("/s", BARE))).isEmpty();
    }

    @Test
    void pathsAreWrittenSoSshReadsThemBack() {
        assertThat(SshConfigCommand.arg("/home/u/state")).isEqualTo("/home/u/state");
        assertThat(SshConfigCommand.arg("/tmp/a b/ssh")).isEqualTo("\"/tmp/a b/ssh\"");
        assertThat(SshConfigCommand.arg("/tmp/50%/x")).isEqualTo("/tmp/50%%/x");
        assertThat(SshConfigCommand.arg("/tmp/a#b")).isEqualTo("\"/tmp/a#b\"");
        for (String bad : List.of("/tmp/a\"b", "/tmp/a\\b", "/tmp/a\nb")) {
            assertThatThrownBy(() -> SshConfigCommand.arg(bad)).isInstanceOf(RpcException.class).hasMessageContaining("ssh config");
        }
    }

    @Test
    void sshConfigIsATopVerbTakingVmsAndJson() {
        assertThat(CommandTree.full().getSubcommands()).containsKey("ssh-config");
        String[] args = {"ssh-config", "dev", "web", "--json"};
        SshConfigCommand c = (SshConfigCommand) CommandTree.forArgs(args).parseArgs(args).subcommand().commandSpec().userObject();
        assertThat(c.vms).containsExactly("dev", "web");
        assertThat(c.json).isTrue();
        String[] none = {"ssh-config"};
        assertThat(((SshConfigCommand) CommandTree.forArgs(none).parseArgs(none).subcommand().commandSpec().userObject()).vms).isEmpty();
    }

    @Test
    void vmSshChecksTheHostKeyAgainstBangersKnownHosts() {
        assertThat(VmCommand.Ssh.argv(result("/s", WEB), WEB, List.of("uname", "-a"))).containsExactly(
                "ssh", "-p", "22", "-o", "IdentityFile=/s/ssh/id_ed25519", "-o", "IdentitiesOnly=yes",
                "-o", "UserKnownHostsFile=/s/ssh/known_hosts", "-o", "StrictHostKeyChecking=yes", "-o", "LogLevel=ERROR",
                "root@172.30.0.11", "--", "uname", "-a");
        assertThat(VmCommand.Ssh.argv(result("/s", DEV), DEV, List.of())).containsSubsequence("-p", "40222").endsWith("root@127.0.0.1");
    }
}
