package dev.banger.roothelper.ops;

import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.NatDisabled;
import dev.banger.roothelper.api.NatInfo;
import dev.banger.roothelper.api.ReconcileResult;
import java.util.List;

/** Per-VM NAT in banger's own nftables table ({@code inet banger}). Not built yet. */
public final class NatOperations {
    private final HelperConfig config;
    private final HostCommands commands;

    public NatOperations(HelperConfig config, HostCommands commands) {
        this.config = config;
        this.commands = commands;
    }

    public NatInfo enableNat(String vmId, String guestIp) {
        throw new HelperException(ErrorCode.FAILED, "NAT is not built yet");
    }

    public NatDisabled disableNat(String vmId) {
        return new NatDisabled(vmId, false);
    }

    /** Removes the NAT of every VM not in {@code liveVmIds}. */
    public ReconcileResult reconcile(List<String> liveVmIds) {
        return new ReconcileResult(List.of(), List.of());
    }
}
