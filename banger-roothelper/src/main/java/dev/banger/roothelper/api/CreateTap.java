package dev.banger.roothelper.api;

/** Create (or find, idempotently) the tap of one VM; the helper derives its name from the id. */
public record CreateTap(String vmId) implements HelperRequest {
    public CreateTap {
        VmIds.require(vmId);
    }
}
