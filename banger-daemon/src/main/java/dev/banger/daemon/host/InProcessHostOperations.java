package dev.banger.daemon.host;

import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.vmm.MachineSpec;
import dev.banger.daemon.vmm.ProcessIdentity;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcess;
import dev.banger.roothelper.api.BridgeInfo;
import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.NatInfo;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.RootOperations;
import dev.banger.roothelper.api.TapInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Host operations run by bangerd itself, as the owner user; the network ones go to {@code network}
 * (the root helper's client, or its operations in process when bangerd is root), absent in rootless
 * mode, where asking for one is a bug in the caller and fails with a clear message.
 */
public final class InProcessHostOperations implements HostOperations {
    private final RootOperations network;

    public InProcessHostOperations(RootOperations network) {
        this.network = network;
    }

    /** Rootless mode: no network operations. */
    public InProcessHostOperations() {
        this(null);
    }

    @Override
    public long launchVmm(Vmm driver, MachineSpec spec) throws IOException {
        return driver.launch(spec);
    }

    @Override
    public boolean killVmm(VmmProcess process) throws InterruptedException {
        return ProcessIdentity.kill(process.pid(), process.marker());
    }

    @Override
    public boolean terminateVmm(VmmProcess process, Duration grace) throws InterruptedException {
        return ProcessIdentity.terminate(process.pid(), process.marker(), grace);
    }

    @Override
    public void removeRuntimeFile(Path path) throws IOException {
        Files.deleteIfExists(path);
    }

    @Override
    public void deleteVmDir(Path vmDir) throws IOException {
        FileTrees.deleteRecursively(vmDir);
    }

    @Override
    public BridgeInfo ensureBridge() throws IOException {
        return network(() -> network.ensureBridge());
    }

    @Override
    public TapInfo createTap(String vmId) throws IOException {
        return network(() -> network.createTap(vmId));
    }

    @Override
    public void deleteTap(String vmId) throws IOException {
        network(() -> network.deleteTap(vmId));
    }

    @Override
    public NatInfo enableNat(String vmId, String guestIp) throws IOException {
        return network(() -> network.enableNat(vmId, guestIp));
    }

    @Override
    public void disableNat(String vmId) throws IOException {
        network(() -> network.disableNat(vmId));
    }

    @Override
    public DnsInfo setDnsRecords(List<DnsRecord> records) throws IOException {
        return network(() -> network.setDnsRecords(records));
    }

    @Override
    public ReconcileResult reconcileNetwork(List<String> liveVmIds) throws IOException {
        return network(() -> network.reconcile(liveVmIds));
    }

    /** The helper's refusals keep their meaning: the host forbids it (conflict) or it failed (an IOException with its line). */
    private <T> T network(Supplier<T> operation) throws IOException {
        if (network == null) {
            throw new IOException("bridged networking is not configured (network = \"rootless\"); this VM needs it");
        }
        try {
            return operation.get();
        } catch (HelperException e) {
            switch (e.code()) {
                case CONFLICT, LIMIT, NO_BRIDGE -> throw RpcException.conflict(e.getMessage());
                default -> throw new IOException(e.getMessage(), e);
            }
        }
    }
}
