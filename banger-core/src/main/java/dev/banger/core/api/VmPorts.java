package dev.banger.core.api;

import dev.banger.core.model.PortForward;
import java.util.List;

/** The result of {@code vm.port.add|rm|ls}: the VM's forwards after the call, as persisted. */
public record VmPorts(String vm, List<PortForward> forwards) { }
