package dev.banger.roothelper.api;

/** Let one VM reach the outside through the host (masquerade); {@code guest_ip} must be a host address of the bridge subnet. */
public record EnableNat(String vmId, String guestIp) implements HelperRequest {
    public EnableNat {
        VmIds.require(vmId);
        Ipv4Text.require("guest_ip", guestIp);
    }
}
