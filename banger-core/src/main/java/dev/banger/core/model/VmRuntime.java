package dev.banger.core.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Where a VM's pieces live on the host, plus the teardown identity of the running VMM.
 * Persisted as JSON on the VM row so cleanup still works when the in-memory cache and
 * handles.json are lost (seeds 001, 004): every field needed to kill the process and
 * remove its sockets is here. {@code network}: how the guest is attached, fixed at create
 * ({@code user}: QEMU user networking, rootless; {@code bridge}: a tap on banger's bridge, through the
 * root helper; absent on rows written before bridges existed, meaning {@code user}). {@code tap}: the
 * tap of a bridged VM, recorded before the VMM opens it and cleared with the rest of the identity.
 * {@code idleStopAt}: never stored; {@code vm.show} fills it in for a running VM with an idle stop:
 * when bangerd will stop it if nothing happens before then (ISO-8601 UTC).
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
        String startedAt,
        String network,
        String tap,
        String idleStopAt) {

    public static final String USER_NETWORK = "user";
    public static final String BRIDGE_NETWORK = "bridge";

    /** A runtime of a user-networked VM with no tap (rows and tests from before bridges). */
    public VmRuntime(String guestIp, String dnsName, String vmDir, String overlayPath, String workDiskPath, String initrdPath,
                     String consoleLog, String qmpSocket, String agentSocket, Integer sshPort, Long pid, String vmm, String accel,
                     String lastError, String startedAt) {
        this(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog, qmpSocket, agentSocket, sshPort, pid,
                vmm, accel, lastError, startedAt, null, null, null);
    }

    /** Without an idle-stop time (every stored runtime). */
    public VmRuntime(String guestIp, String dnsName, String vmDir, String overlayPath, String workDiskPath, String initrdPath,
                     String consoleLog, String qmpSocket, String agentSocket, Integer sshPort, Long pid, String vmm, String accel,
                     String lastError, String startedAt, String network, String tap) {
        this(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog, qmpSocket, agentSocket, sshPort, pid,
                vmm, accel, lastError, startedAt, network, tap, null);
    }

    /** What vm.show answers: this runtime with the time the idle stop would happen (null: none). */
    public VmRuntime withIdleStopAt(String at) {
        return new VmRuntime(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog,
                qmpSocket, agentSocket, sshPort, pid, vmm, accel, lastError, startedAt, network, tap, at);
    }

    /** {@code user} or {@code bridge}; a row without the field is user networking. */
    public String networkMode() {
        return network == null ? USER_NETWORK : network;
    }

    public boolean bridged() {
        return BRIDGE_NETWORK.equals(network);
    }

    public VmRuntime withTap(String tapName) {
        return new VmRuntime(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog,
                qmpSocket, agentSocket, sshPort, pid, vmm, accel, lastError, startedAt, network, tapName);
    }

    public VmRuntime withProcess(Long pid, String vmm, String accel, Integer sshPort, String startedAt) {
        return new VmRuntime(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog,
                qmpSocket, agentSocket, sshPort, pid, vmm, accel, lastError, startedAt, network, tap);
    }

    /** Teardown identity cleared: nothing of this VM is alive on the host. */
    public VmRuntime stopped() {
        return new VmRuntime(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog,
                qmpSocket, agentSocket, null, null, null, null, lastError, null, network, null);
    }

    public VmRuntime withLastError(String error) {
        return new VmRuntime(guestIp, dnsName, vmDir, overlayPath, workDiskPath, initrdPath, consoleLog,
                qmpSocket, agentSocket, sshPort, pid, vmm, accel, error, startedAt, network, tap);
    }
}
