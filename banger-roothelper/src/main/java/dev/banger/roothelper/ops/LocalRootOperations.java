package dev.banger.roothelper.ops;

import dev.banger.roothelper.api.BridgeInfo;
import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.NatDisabled;
import dev.banger.roothelper.api.NatInfo;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.RootOperations;
import dev.banger.roothelper.api.TapDeleted;
import dev.banger.roothelper.api.TapInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * The privileged operations themselves, as root: the helper's socket server runs them for its peers,
 * and bangerd runs them in process when it is root itself and no helper is installed. Each area is a
 * class of its own (bridge and taps, NAT, DNS); this one routes requests and joins reconciles.
 */
public final class LocalRootOperations implements RootOperations {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LocalRootOperations.class);
    private final NetworkOperations network;
    private final NatOperations nat;
    private final DnsOperations dns;

    public LocalRootOperations(NetworkOperations network, NatOperations nat, DnsOperations dns) {
        this.network = network;
        this.nat = nat;
        this.dns = dns;
    }

    /** For a root bangerd without a helper: the DNS records persist under {@code dnsStateDir} (bangerd's own state). */
    public static LocalRootOperations create(HelperConfig config, HostCommands commands, java.nio.file.Path dnsStateDir) {
        return new LocalRootOperations(new NetworkOperations(config, commands), new NatOperations(config, commands),
                new DnsOperations(config, commands, dev.banger.roothelper.dns.DnsPaths.system(dnsStateDir), DnsOperations.DNS_PORT));
    }

    /**
     * The bridge, banger's nftables table (so traffic of VMs without NAT is dropped from the first
     * start), then DNS on its gateway address: serving starts (or re-binds) once the bridge has it.
     */
    @Override
    public BridgeInfo ensureBridge() {
        BridgeInfo bridge = network.ensureBridge();
        nat.ensureStructure().forEach(note -> LOG.info("ensure_bridge: {}", note));
        dns.bridgeUp();
        return bridge;
    }

    @Override
    public TapInfo createTap(String vmId) {
        return network.createTap(vmId);
    }

    @Override
    public TapDeleted deleteTap(String vmId) {
        return network.deleteTap(vmId);
    }

    @Override
    public NatInfo enableNat(String vmId, String guestIp) {
        return nat.enableNat(vmId, guestIp);
    }

    @Override
    public NatDisabled disableNat(String vmId) {
        return nat.disableNat(vmId);
    }

    @Override
    public DnsInfo setDnsRecords(List<DnsRecord> records) {
        return dns.setDnsRecords(records);
    }

    /**
     * DNS first (resolved's link settings need the bridge to still exist), then NAT (the table), then the
     * bridge and its taps; each area runs whatever another one threw, a failure being one line in {@code errors}.
     */
    @Override
    public ReconcileResult removeHostState() {
        return joined(List.of(dns::removeAll, nat::removeTable, network::removeBridge));
    }

    /** Every area is reconciled, whatever another one threw: a failure is one more line in {@code errors}. */
    @Override
    public ReconcileResult reconcile(List<String> liveVmIds) {
        return joined(List.of(() -> network.reconcileTaps(liveVmIds), () -> nat.reconcile(liveVmIds), () -> dns.reconcile(liveVmIds)));
    }

    private static ReconcileResult joined(List<java.util.function.Supplier<ReconcileResult>> areas) {
        List<String> deleted = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (var area : areas) {
            try {
                ReconcileResult r = area.get();
                deleted.addAll(r.deleted());
                errors.addAll(r.errors());
            } catch (RuntimeException e) {
                errors.add(String.valueOf(e.getMessage()));
            }
        }
        return new ReconcileResult(deleted, errors);
    }
}
