package dev.banger.core.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Where a VM's pieces live on the host, plus the teardown identity of the running VMM.
 * Persisted as JSON on the VM row so cleanup still works when the in-memory cache and
 * handles.json are lost (seeds 001, 004): every field needed to kill the process and
 * remove its sockets is here.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmRuntime(
        String guestIp,
        String dnsName,
        String vmDir,
        String overlayPath,
        String workDiskPath,
        String initrdPath,
        String consoleLog,
        String qmpSocket,
        String agentSocket,
        Integer sshPort,
        Long pid,
        String vmm,
        String accel,
        String lastError,
        String startedAt) {

    public VmRuntime withProcess(Long pid, String vmm, String accel, Integer sshPort, String startedAt) {
        return new VmRuntime(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog,
                qmpSocket, agentSocket, sshPort, pid, vmm, accel, lastError, startedAt);
    }

    /** Teardown identity cleared: nothing of this VM is alive on the host. */
    public VmRuntime stopped() {
        return new VmRuntime(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog,
                qmpSocket, agentSocket, null, null, null, null, lastError, null);
    }

    public VmRuntime withLastError(String error) {
        return new VmRuntime(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog,
                qmpSocket, agentSocket, sshPort, pid, vmm, accel, error, startedAt);
    }
}
