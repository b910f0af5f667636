package dev.banger.daemon.host;

import dev.banger.daemon.vmm.MachineSpec;
import dev.banger.roothelper.api.BridgeInfo;
import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.NatInfo;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.TapInfo;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The host-operations port: every operation on the host that may need privilege (loop devices and
 * device-mapper will go here too, as methods of their own when they exist).
 * {@link InProcessHostOperations} runs the VMM and file operations in bangerd as the owner user,
 * and the network ones (bridge, taps, NAT, DNS) through a {@code RootOperations}: the root helper's
 * client, or the same operations in process when bangerd is root. Teardown, the start steps and the
 * VM features reach the host only through it, so tests can record the order of operations and make
 * any one of them fail. A refusal by the host (a conflicting route, the port cap) is a conflict
 * {@code RpcException}; anything else is an IOException.
 */
public interface HostOperations {
    /** Starts a VMM with its driver; returns its PID. */
    long launchVmm(Vmm driver, MachineSpec spec) throws IOException;

    /** SIGKILL the process if it is still ours (its marker on its command line); true once it is gone. */
    boolean killVmm(VmmProcess process) throws InterruptedException;

    /** SIGTERM, wait up to {@code grace}, then SIGKILL; true once it is gone. Never signals a PID that is not ours. */
    boolean terminateVmm(VmmProcess process, Duration grace) throws InterruptedException;

    /** Removes one runtime file or socket of a VM; a missing one is not an error. */
    void removeRuntimeFile(Path path) throws IOException;

    /** Deletes a VM's directory and everything in it (its disks included); a missing one is not an error. */
    void deleteVmDir(Path vmDir) throws IOException;

    /** Creates or checks banger's bridge (idempotent); its subnet and address are the guests'. */
    BridgeInfo ensureBridge() throws IOException;

    /** The VM's tap on the bridge, owned by the owner (idempotent). */
    TapInfo createTap(String vmId) throws IOException;

    /** Deletes the VM's tap; a missing one is not an error. */
    void deleteTap(String vmId) throws IOException;

    NatInfo enableNat(String vmId, String guestIp) throws IOException;

    /** Removes the VM's NAT; a VM without it is not an error. */
    void disableNat(String vmId) throws IOException;

    /** Replaces every {@code <name>.vm} record. */
    DnsInfo setDnsRecords(List<DnsRecord> records) throws IOException;

    /** Removes every tap, NAT element and DNS record of a VM not in {@code liveVmIds}. */
    ReconcileResult reconcileNetwork(List<String> liveVmIds) throws IOException;
}
