package dev.banger.roothelper.api;

import java.util.List;

/**
 * Given the live VM ids, delete everything banger made on the host for any other VM: taps, NAT set
 * elements, DNS and host records. An empty list removes all of them.
 */
public record Reconcile(List<String> liveVmIds) implements HelperRequest {
    public Reconcile {
        if (liveVmIds == null) {
            throw new IllegalArgumentException("live_vm_ids is required (an empty list removes everything banger made for any VM)");
        }
        liveVmIds.forEach(VmIds::require);
        liveVmIds = List.copyOf(liveVmIds);
    }
}
