package dev.banger.core.api;

import dev.banger.core.model.PortForward;

/**
 * {@code vm.port.add} and {@code vm.port.rm}: one forward of {@code vm}. For rm only its host side
 * (address, port, protocol) names the forward; the guest port is ignored.
 */
public record VmPortParams(String vm, PortForward forward) { }
