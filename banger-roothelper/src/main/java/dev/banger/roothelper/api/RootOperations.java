package dev.banger.roothelper.api;

import java.util.List;

/**
 * The privileged operations, one method per request record. Implemented by {@code ops.LocalRootOperations}
 * (in process, as root) and by {@link HelperClient} (over the helper's socket); a refusal or failure
 * is a {@link HelperException} with the response's code either way.
 */
public interface RootOperations {
    BridgeInfo ensureBridge();

    TapInfo createTap(String vmId);

    TapDeleted deleteTap(String vmId);

    NatInfo enableNat(String vmId, String guestIp);

    NatDisabled disableNat(String vmId);

    DnsInfo setDnsRecords(List<DnsRecord> records);

    ReconcileResult reconcile(List<String> liveVmIds);

    /** Everything banger made on the host goes (see {@link RemoveHostState}); same result shape as reconcile. */
    ReconcileResult removeHostState();

    /** The version of the code that runs the operations: in process that is this jar's; {@link HelperClient} asks the helper. */
    default HelperVersion version() {
        return new HelperVersion(dev.banger.core.BangerVersion.VERSION);
    }

    /** Runs one request against {@code ops}: the server's dispatch, and what makes the two implementations interchangeable. */
    static Object apply(RootOperations ops, HelperRequest request) {
        return switch (request) {
            case EnsureBridge e -> ops.ensureBridge();
            case CreateTap c -> ops.createTap(c.vmId());
            case DeleteTap d -> ops.deleteTap(d.vmId());
            case EnableNat n -> ops.enableNat(n.vmId(), n.guestIp());
            case DisableNat n -> ops.disableNat(n.vmId());
            case SetDnsRecords s -> ops.setDnsRecords(s.records());
            case Reconcile r -> ops.reconcile(r.liveVmIds());
            case Version v -> ops.version();
            case RemoveHostState r -> ops.removeHostState();
        };
    }
}
