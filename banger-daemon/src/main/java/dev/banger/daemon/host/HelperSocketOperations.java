package dev.banger.daemon.host;

import dev.banger.roothelper.api.BridgeInfo;
import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperClient;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.NatDisabled;
import dev.banger.roothelper.api.NatInfo;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.RootOperations;
import dev.banger.roothelper.api.TapDeleted;
import dev.banger.roothelper.api.TapInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * The root helper's operations over its socket, one connection per call: calls are rare (a few per
 * VM start and stop), and a helper restarted in between is simply reached again on the next call.
 */
public final class HelperSocketOperations implements RootOperations {
    private final Path socket;

    public HelperSocketOperations(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    @Override
    public BridgeInfo ensureBridge() {
        return call(RootOperations::ensureBridge);
    }

    @Override
    public TapInfo createTap(String vmId) {
        return call(c -> c.createTap(vmId));
    }

    @Override
    public TapDeleted deleteTap(String vmId) {
        return call(c -> c.deleteTap(vmId));
    }

    @Override
    public NatInfo enableNat(String vmId, String guestIp) {
        return call(c -> c.enableNat(vmId, guestIp));
    }

    @Override
    public NatDisabled disableNat(String vmId) {
        return call(c -> c.disableNat(vmId));
    }

    @Override
    public DnsInfo setDnsRecords(List<DnsRecord> records) {
        return call(c -> c.setDnsRecords(records));
    }

    @Override
    public ReconcileResult reconcile(List<String> liveVmIds) {
        return call(c -> c.reconcile(liveVmIds));
    }

    @Override
    public ReconcileResult removeHostState() {
        return call(HelperClient::removeHostState);
    }

    @Override
    public dev.banger.roothelper.api.HelperVersion version() {
        return call(HelperClient::version);
    }

    private <T> T call(Function<HelperClient, T> operation) {
        try (HelperClient client = HelperClient.connect(socket)) {
            return operation.apply(client);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new HelperException(ErrorCode.FAILED, "the root helper at " + socket + " is not reachable (" + e.getMessage()
                    + "); start it (docs/root-helper.md) or set network = \"rootless\" in config.toml");
        }
    }
}
