package dev.banger.roothelper.ops;

import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.ReconcileResult;
import java.util.List;

/** {@code <name>.vm} records: served on the bridge address and wired into the host's resolver. Not built yet. */
public final class DnsOperations {
    private final HelperConfig config;
    private final HostCommands commands;

    public DnsOperations(HelperConfig config, HostCommands commands) {
        this.config = config;
        this.commands = commands;
    }

    public DnsInfo setDnsRecords(List<DnsRecord> records) {
        return new DnsInfo(0, "", "none");
    }

    /** Drops the records of every VM not in {@code liveVmIds}. */
    public ReconcileResult reconcile(List<String> liveVmIds) {
        return new ReconcileResult(List.of(), List.of());
    }
}
