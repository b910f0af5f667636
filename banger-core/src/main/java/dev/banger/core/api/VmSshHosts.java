package dev.banger.core.api;

import java.util.List;

/**
 * The result of {@code vm.ssh.hosts}: the managed known_hosts file bangerd has just rewritten
 * ({@code knownHosts}), banger's private key ({@code identityFile}), and the VMs asked for, by name.
 */
public record VmSshHosts(String knownHosts, String identityFile, List<VmSshHost> hosts) {
    public VmSshHosts {
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
    }
}
