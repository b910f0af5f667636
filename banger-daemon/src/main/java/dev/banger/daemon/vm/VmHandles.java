package dev.banger.daemon.vm;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Identity of a VM's live host objects: enough to find and kill its VMM and remove its sockets, and
 * a bridged VM's tap ({@code pid} is 0 while only the tap exists: the start records it before the
 * VMM opens it).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record VmHandles(long pid, String vmm, String qmpSocket, String agentSocket, String tap) {
    VmHandles(long pid, String vmm, String qmpSocket, String agentSocket) {
        this(pid, vmm, qmpSocket, agentSocket, null);
    }
}
