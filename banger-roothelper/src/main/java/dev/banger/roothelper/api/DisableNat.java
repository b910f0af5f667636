package dev.banger.roothelper.api;

/** Remove one VM's NAT; a VM without it is a success ({@code existed: false}). */
public record DisableNat(String vmId) implements HelperRequest {
    public DisableNat {
        VmIds.require(vmId);
    }
}
