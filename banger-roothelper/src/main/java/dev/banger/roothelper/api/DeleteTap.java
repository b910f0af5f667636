package dev.banger.roothelper.api;

/** Delete the tap of one VM; a tap that is already gone is a success. */
public record DeleteTap(String vmId) implements HelperRequest {
    public DeleteTap {
        VmIds.require(vmId);
    }
}
