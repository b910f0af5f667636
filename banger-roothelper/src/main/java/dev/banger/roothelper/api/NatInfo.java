package dev.banger.roothelper.api;

import java.util.List;

/** A VM with NAT, and one line for each thing the helper did to let its traffic through another ruleset (empty when none was needed). */
public record NatInfo(String vmId, String guestIp, List<String> notes) {
    public NatInfo {
        notes = notes == null ? List.of() : List.copyOf(notes);
    }
}
