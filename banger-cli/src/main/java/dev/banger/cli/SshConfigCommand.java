package dev.banger.cli;

import dev.banger.core.api.Methods;
import dev.banger.core.api.VmSshHost;
import dev.banger.core.api.VmSshHosts;
import dev.banger.core.api.VmSshHostsParams;
import dev.banger.core.rpc.RpcException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code banger ssh-config [VM…]}: OpenSSH Host blocks for running VMs, so that with them in (or
 * included from) ~/.ssh/config a plain {@code ssh NAME} reaches the VM as root with banger's key and
 * checks its host key against banger's known_hosts, which bangerd has just rewritten from the
 * guests' own keys (RPC {@code vm.ssh.hosts}).
 */
@Command(name = "ssh-config", description = "Print OpenSSH Host blocks for running VMs (every running VM when none is named), "
        + "for ~/.ssh/config: then plain `ssh NAME` works, host keys checked against banger's known_hosts.",
        mixinStandardHelpOptions = true)
final class SshConfigCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "VM", description = "VMs to print (default: every running VM).")
    List<String> vms = new ArrayList<>();
    @Option(names = "--json", description = "Print the vm.ssh.hosts result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VmSshHosts hosts = DaemonClient.call(Methods.VM_SSH_HOSTS, new VmSshHostsParams(vms.isEmpty() ? null : List.copyOf(vms)));
        if (json) Output.json(System.out, hosts);
        else System.out.print(render(hosts));
        int rc = 0;
        for (VmSshHost h : hosts.hosts()) {
            if (h.error() != null) {
                System.err.println("banger: " + h.error());
                rc = Main.EXIT_FAILED;
            }
        }
        return rc;
    }

    /** One block per VM that has host keys, a blank line between blocks. */
    static String render(VmSshHosts hosts) {
        List<String> blocks = new ArrayList<>();
        for (VmSshHost h : hosts.hosts()) {
            if (h.error() != null) continue;
            blocks.add("Host " + h.vm() + (h.dnsName() == null ? "" : " " + h.dnsName()) + "\n"
                    + "  HostName " + h.hostName() + "\n"
                    + "  Port " + h.port() + "\n"
                    + "  User root\n"
                    + "  IdentityFile " + arg(hosts.identityFile()) + "\n"
                    + "  IdentitiesOnly yes\n"
                    + "  UserKnownHostsFile " + arg(hosts.knownHosts()) + "\n"
                    + "  StrictHostKeyChecking yes\n");
        }
        return String.join("\n", blocks);
    }

    /**
     * A path as an ssh_config argument (also what {@code ssh -o KEY=VALUE} parses): {@code %} is ssh's
     * token character, so doubled; quoted when it has a space or a {@code #} (a comment in newer
     * OpenSSH). A quote, backslash or control character cannot be written safely: refused.
     */
    static String arg(String path) {
        if (path.chars().anyMatch(c -> c == '"' || c == '\\' || Character.isISOControl(c))) {
            throw RpcException.invalid("cannot write this path into an ssh config: " + path);
        }
        String escaped = path.replace("%", "%%");
        return escaped.chars().anyMatch(c -> Character.isWhitespace(c) || c == '#') ? "\"" + escaped + "\"" : escaped;
    }
}
