package dev.banger.roothelper.api;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Replace every {@code <name>.vm} record with these (bangerd sends the live VMs on every state
 * change and at its start, seed 001's rebuildDNS). Names and ids are unique; at most 1,000 records.
 */
public record SetDnsRecords(List<DnsRecord> records) implements HelperRequest {
    public static final int MAX_RECORDS = 1000;

    public SetDnsRecords {
        if (records == null) {
            throw new IllegalArgumentException("records is required (an empty list removes every record)");
        }
        if (records.size() > MAX_RECORDS) {
            throw new IllegalArgumentException("at most " + MAX_RECORDS + " records");
        }
        Set<String> names = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (DnsRecord r : records) {
            if (r == null) throw new IllegalArgumentException("a record is null");
            if (!names.add(r.name())) throw new IllegalArgumentException("name " + r.name() + " appears twice");
            if (!ids.add(r.vmId())) throw new IllegalArgumentException("vm_id " + r.vmId() + " appears twice");
        }
        records = List.copyOf(records);
    }
}
