package dev.banger.roothelper.api;

import java.util.List;

/** Delete every banger-named tap whose VM is not in {@code liveVmIds}. */
public record ReconcileTaps(List<String> liveVmIds) implements HelperRequest {
    public ReconcileTaps {
        if (liveVmIds == null) {
            throw new IllegalArgumentException("live_vm_ids is required (an empty list deletes every banger tap)");
        }
        liveVmIds.forEach(VmIds::require);
        liveVmIds = List.copyOf(liveVmIds);
    }
}
