package dev.banger.roothelper.ops;

import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.VmIds;
import dev.banger.roothelper.dns.DnsPaths;
import dev.banger.roothelper.dns.DnsResponder;
import dev.banger.roothelper.dns.DnsServer;
import dev.banger.roothelper.dns.DnsZone;
import dev.banger.roothelper.dns.HostsFile;
import dev.banger.roothelper.dns.Probe;
import dev.banger.roothelper.dns.RecordFile;
import dev.banger.roothelper.dns.ResolvConf;
import dev.banger.roothelper.dns.ResolvedLink;
import dev.banger.roothelper.dns.Upstreams;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <name>.vm} records (part of {@link LocalRootOperations}): persisted in the state dir, served
 * by a {@link DnsServer} on the bridge's gateway address once the bridge has it, and wired into the
 * host's resolver (systemd-resolved per link when it runs, else a block in the hosts file). The
 * helper serves DNS, not bangerd, because only root may bind port 53 and banger passes no
 * descriptors between processes. One lock serializes the changes; the server reads the current
 * {@link DnsZone} snapshot without it.
 */
public final class DnsOperations implements AutoCloseable {
    public static final int DNS_PORT = 53;
    /** How long a forwarded query may take over all upstreams together before the guest gets SERVFAIL. */
    public static final Duration FORWARD_DEADLINE = Duration.ofSeconds(3);
    public static final String WIRING_RESOLVED = "systemd-resolved";
    private static final Logger LOG = LoggerFactory.getLogger(DnsOperations.class);

    private final HelperConfig config;
    private final Ip ip;
    private final int port;
    private final RecordFile recordFile;
    private final HostsFile hosts;
    private final ResolvedLink resolved;
    private final DnsPaths paths;
    private final Serialized serialized = new Serialized();
    private volatile DnsZone zone = DnsZone.empty();
    private boolean loaded;
    private Upstreams upstreams;
    private DnsServer server;

    /** Production: the system's files, records in the default state dir, port 53. */
    public DnsOperations(HelperConfig config, HostCommands commands) {
        this(config, commands, DnsPaths.system(DnsPaths.DEFAULT_STATE_DIR), DNS_PORT);
    }

    public DnsOperations(HelperConfig config, HostCommands commands, DnsPaths paths, int port) {
        this.config = config;
        this.ip = new Ip(commands);
        this.port = port;
        this.paths = paths;
        this.recordFile = new RecordFile(paths.stateDir());
        this.hosts = new HostsFile(paths.hostsFile());
        this.resolved = new ResolvedLink(paths.resolvedSocket(), paths.resolvedNetns(), commands);
    }

    /**
     * At helper start: the persisted records, and serving them at once when the bridge already holds
     * its address (a restarted helper answers before bangerd pushes again). Failures are logged: the
     * next ensure_bridge tries again.
     */
    public void start() {
        serialized.run(() -> {
            load();
            if (bridgeHoldsGateway()) {
                serve();
                wireResolvedLink();
            }
            try {
                wireHostsFile(zone.records());
            } catch (IOException e) {
                LOG.warn("dns: host wiring at start: {}", e.getMessage());
            }
            return null;
        });
    }

    /** ensure_bridge succeeded: serve on the gateway (again, if the address vanished and came back) and re-apply resolved's link settings. */
    void bridgeUp() {
        serialized.run(() -> {
            load();
            serve();
            wireResolvedLink();
            return null;
        });
    }

    public DnsInfo setDnsRecords(List<DnsRecord> records) {
        return serialized.run(() -> {
            load();
            replace(records);
            if (server == null && bridgeHoldsGateway()) {
                serve();
            }
            return info();
        });
    }

    /** Drops the records of every VM not in {@code liveVmIds} (and their hosts lines). */
    public ReconcileResult reconcile(List<String> liveVmIds) {
        liveVmIds.forEach(VmIds::require);
        Set<String> live = new HashSet<>(liveVmIds);
        return serialized.run(() -> {
            load();
            List<DnsRecord> kept = new ArrayList<>();
            List<String> deleted = new ArrayList<>();
            for (DnsRecord r : zone.records()) {
                if (live.contains(r.vmId())) {
                    kept.add(r);
                } else {
                    deleted.add("dns " + r.name() + "." + DnsZone.DOMAIN);
                }
            }
            if (deleted.isEmpty()) {
                return new ReconcileResult(List.of(), List.of());
            }
            try {
                replace(kept);
                return new ReconcileResult(deleted, List.of());
            } catch (HelperException e) {
                return new ReconcileResult(deleted, List.of(e.getMessage()));
            }
        });
    }

    /**
     * Every record and the hosts block go (the block's marker lines too), resolved forgets the bridge's
     * link settings, and the server stops: nothing of banger's stays in the host's resolver.
     */
    public ReconcileResult removeAll() {
        ReconcileResult records = reconcile(List.of());
        return serialized.run(() -> {
            List<String> deleted = new ArrayList<>(records.deleted());
            List<String> errors = new ArrayList<>(records.errors());
            try {
                if (hosts.write(List.of())) deleted.add("hosts block in " + hosts.path());
            } catch (IOException e) {
                errors.add(hosts.path() + " could not be rewritten: " + e.getMessage());
            }
            if (resolved.running()) {
                Optional<String> error = resolved.revert(config.bridge());
                if (error.isEmpty()) deleted.add("resolved link settings of " + config.bridge());
                else errors.add(error.get());
            }
            if (server != null) {
                server.close();
                server = null;
            }
            return new ReconcileResult(deleted, errors);
        });
    }

    /** Disk first (a crash leaves the list a restart serves), then the served zone, then the host's resolver. */
    private void replace(List<DnsRecord> records) {
        try {
            recordFile.save(records);
        } catch (IOException e) {
            throw new HelperException(ErrorCode.FAILED, "cannot save the DNS records to " + recordFile.path() + ": " + e.getMessage());
        }
        zone = DnsZone.of(records);
        try {
            wireHostsFile(records);
        } catch (IOException e) {
            throw new HelperException(ErrorCode.FAILED, records.size() + " records served, but " + hosts.path()
                    + " could not be rewritten: " + e.getMessage());
        }
    }

    private DnsInfo info() {
        return new DnsInfo(zone.records().size(), server == null ? "" : config.gateway() + ":" + server.address().getPort(), wiring());
    }

    private String wiring() {
        return resolved.running() ? WIRING_RESOLVED : hosts.path().toString();
    }

    /** With resolved the hosts block is not needed (and a block from before resolved ran is removed). */
    private void wireHostsFile(List<DnsRecord> records) throws IOException {
        hosts.write(resolved.running() ? List.of() : records);
    }

    private void wireResolvedLink() {
        if (resolved.running()) {
            resolved.apply(config.bridge(), config.gateway()).forEach(e -> LOG.warn("dns: {}", e));
        }
    }

    /** Keeps a server that still answers; otherwise binds a new one. A failure to bind is logged and leaves DNS off. */
    private void serve() {
        if (server != null && server.isOpen() && Probe.answers(server.address())) {
            return;
        }
        if (server != null) {
            LOG.warn("dns: the server on {} stopped answering; binding again", server.address());
            server.close();
            server = null;
        }
        try {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(config.gateway()), port);
            server = DnsServer.start(address, new DnsResponder(() -> zone, upstreams));
            LOG.info("dns: serving {} records on {} (upstreams {})", zone.records().size(), server.address(), upstreams.servers());
        } catch (IOException | RuntimeException e) {
            LOG.warn("dns: cannot serve on {}:{}: {}", config.gateway(), port, e.getMessage());
        }
    }

    private boolean bridgeHoldsGateway() {
        try {
            return ip.ipv4Addresses().stream()
                    .anyMatch(a -> a.interfaceName().equals(config.bridge()) && a.local().equals(config.gateway()));
        } catch (HelperException e) {
            LOG.warn("dns: cannot read the bridge's addresses: {}", e.getMessage());
            return false;
        }
    }

    /** Once per process: the persisted records and the upstreams (resolv.conf as it was at start). */
    private void load() {
        if (loaded) {
            return;
        }
        try {
            zone = DnsZone.of(recordFile.load());
        } catch (IOException | RuntimeException e) {
            // A damaged file must not keep the helper from starting: bangerd pushes the full list again.
            LOG.warn("dns: ignoring unreadable {}: {}", recordFile.path(), e.getMessage());
        }
        List<InetSocketAddress> servers = List.of();
        try {
            servers = ResolvConf.upstreams(paths.resolvConf(), InetAddress.getByName(config.gateway()));
        } catch (IOException e) {
            LOG.warn("dns: cannot read {}: {}; names outside .vm get SERVFAIL", paths.resolvConf(), e.getMessage());
        }
        upstreams = new Upstreams(servers, FORWARD_DEADLINE);
        loaded = true;
    }

    @Override
    public void close() {
        serialized.run(() -> {
            if (server != null) {
                server.close();
                server = null;
            }
            return null;
        });
    }

}
