package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** {@code vm.ssh.hosts}: the VMs asked for by name, id or id prefix; null or empty means every running VM. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmSshHostsParams(List<String> vms) { }
