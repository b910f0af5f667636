package dev.banger.daemon.vmm;

import java.nio.file.Path;

/**
 * One VM's machine as its driver laid it out, and the identity teardown needs to find it again: the
 * VM's directory, the control endpoint (which also marks the VMM process, see {@link VmmProcess}) and
 * the endpoint the guest agent is reached through. Chosen once, by {@link Vmm#machine}, and recorded
 * on the VM's row; rebuilt from the row (or handles.json) after a restart.
 */
public record Machine(String vmId, Path vmDir, Path controlSocket, Path agentSocket) { }
