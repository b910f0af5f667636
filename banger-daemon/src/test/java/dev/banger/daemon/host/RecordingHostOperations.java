package dev.banger.daemon.host;

import dev.banger.daemon.vmm.MachineSpec;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcess;
import dev.banger.roothelper.api.BridgeInfo;
import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.NatInfo;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.TapInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Host operations for tests: each call is appended to a shared log ("killVmm 1234",
 * "removeRuntimeFile x.agent": file names only) and then, unless told to fail, done for real by
 * {@code delegate} (or skipped, as a success, when it is null). {@link #failOn} makes an operation throw.
 * The network operations log "ensureBridge", "createTap ID", "deleteTap ID", "enableNat ID IP",
 * "disableNat ID", "setDnsRecords name=ip,..." and "reconcileNetwork [ids]", and answer as a helper
 * with bridge bgr0 on 10.77.0.0/24 would, without touching the host (a test double for the root
 * helper: the real one is tested in banger-roothelper and by the bridged e2e in namespaces).
 */
public final class RecordingHostOperations implements HostOperations {
    private final List<String> log;
    private final HostOperations delegate;
    private final Map<String, Exception> failures = new ConcurrentHashMap<>();
    private volatile java.util.function.Consumer<String> observer = entry -> { };

    public RecordingHostOperations(List<String> log, HostOperations delegate) {
        this.log = log;
        this.delegate = delegate;
    }

    /** Every call whose log entry equals {@code entry} throws {@code error} (an IOException or a RuntimeException) once recorded. */
    public RecordingHostOperations failOn(String entry, Exception error) {
        failures.put(entry, error);
        return this;
    }

    /** {@code observer} sees each entry as it is recorded, before the operation runs: what the host looked like at that moment. */
    public RecordingHostOperations observe(java.util.function.Consumer<String> observer) {
        this.observer = observer;
        return this;
    }

    private void record(String entry) throws IOException {
        log.add(entry);
        observer.accept(entry);
        Exception e = failures.get(entry);
        if (e instanceof IOException io) throw io;
        if (e instanceof RuntimeException re) throw re;
    }

    private void recordUnchecked(String entry) {
        try {
            record(entry);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public long launchVmm(Vmm driver, MachineSpec spec) throws IOException {
        record("launchVmm " + spec.machine().vmId());
        return delegate == null ? 0 : delegate.launchVmm(driver, spec);
    }

    @Override
    public boolean killVmm(VmmProcess process) throws InterruptedException {
        recordUnchecked("killVmm " + process.pid());
        return delegate == null || delegate.killVmm(process);
    }

    @Override
    public boolean terminateVmm(VmmProcess process, Duration grace) throws InterruptedException {
        recordUnchecked("terminateVmm " + process.pid());
        return delegate == null || delegate.terminateVmm(process, grace);
    }

    @Override
    public void removeRuntimeFile(Path path) throws IOException {
        record("removeRuntimeFile " + path.getFileName());
        if (delegate != null) delegate.removeRuntimeFile(path);
    }

    @Override
    public void deleteVmDir(Path vmDir) throws IOException {
        record("deleteVmDir " + vmDir.getFileName());
        if (delegate != null) delegate.deleteVmDir(vmDir);
    }

    @Override
    public BridgeInfo ensureBridge() throws IOException {
        record("ensureBridge");
        return new BridgeInfo("bgr0", "10.77.0.0/24", "10.77.0.1", "02:00:00:00:00:01");
    }

    @Override
    public TapInfo createTap(String vmId) throws IOException {
        record("createTap " + vmId);
        return new TapInfo(vmId, "bt" + vmId.substring(0, 12), "bgr0");
    }

    @Override
    public void deleteTap(String vmId) throws IOException {
        record("deleteTap " + vmId);
    }

    @Override
    public NatInfo enableNat(String vmId, String guestIp) throws IOException {
        record("enableNat " + vmId + " " + guestIp);
        return new NatInfo(vmId, guestIp, List.of());
    }

    @Override
    public void disableNat(String vmId) throws IOException {
        record("disableNat " + vmId);
    }

    @Override
    public DnsInfo setDnsRecords(List<DnsRecord> records) throws IOException {
        record("setDnsRecords " + String.join(",", records.stream().map(r -> r.name() + "=" + r.address()).toList()));
        return new DnsInfo(records.size(), "10.77.0.1:53", "/etc/hosts");
    }

    @Override
    public ReconcileResult reconcileNetwork(List<String> liveVmIds) throws IOException {
        record("reconcileNetwork " + liveVmIds);
        return new ReconcileResult(List.of(), List.of());
    }
}
