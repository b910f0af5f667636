package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One running VM's SSH endpoint as {@code vm.ssh.hosts} reports it: where its sshd is reached
 * ({@code hostName}:{@code port}: the guest's own address and 22 when bridged, 127.0.0.1 and its
 * forward when rootless), its {@code NAME.vm} name when bridged (null otherwise), and the guest's
 * host public keys ("TYPE BASE64") read through the agent. {@code error} says why there are no keys
 * (sshd did not make any in time); such a VM has no line in the known_hosts file.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmSshHost(String vm, String hostName, int port, String dnsName, List<String> hostKeys, String error) {
    public VmSshHost {
        hostKeys = hostKeys == null ? List.of() : List.copyOf(hostKeys);
    }
}
