package dev.banger.roothelper.dns;

import dev.banger.roothelper.api.DnsRecord;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One immutable snapshot of the {@code <name>.vm} records. The server reads the current snapshot
 * without a lock; a {@code set_dns_records} swaps in a new one.
 */
public final class DnsZone {
    /** The domain every record lives under, without dots. */
    public static final String DOMAIN = "vm";

    private final List<DnsRecord> records;
    private final Map<String, DnsRecord> byName;

    private DnsZone(List<DnsRecord> records) {
        this.records = List.copyOf(records);
        Map<String, DnsRecord> names = new HashMap<>();
        // VM names are validated lowercase already; lowercasing the query is what makes lookups case-insensitive.
        records.forEach(r -> names.put(r.name(), r));
        this.byName = Map.copyOf(names);
    }

    public static DnsZone of(List<DnsRecord> records) {
        return new DnsZone(records);
    }

    public static DnsZone empty() {
        return of(List.of());
    }

    public List<DnsRecord> records() {
        return records;
    }

    /** The record for a VM name (one label, any case). */
    public Optional<DnsRecord> lookup(String label) {
        return Optional.ofNullable(byName.get(label.toLowerCase(Locale.ROOT)));
    }
}
