package dev.banger.roothelper.api;

import dev.banger.core.model.Names;

/** {@code <name>.vm} answers {@code address}; the VM id lets reconcile drop the records of VMs that are gone. */
public record DnsRecord(String name, String vmId, String address) {
    public DnsRecord {
        Names.validateVmName(name);
        VmIds.require(vmId);
        Ipv4Text.require("address", address);
    }
}
