package dev.banger.daemon.api;

import static dev.banger.daemon.api.Params.handle;

import dev.banger.core.BangerPaths;
import dev.banger.core.api.DaemonStatus;
import dev.banger.core.api.DaemonStopResult;
import dev.banger.core.api.Methods;
import dev.banger.core.model.VmState;
import dev.banger.daemon.rpc.RpcMethod;
import dev.banger.daemon.vm.VmService;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** RPC surface of {@code banger daemon …}, plus {@code rpc.methods} for discovery. */
public final class DaemonMethods {
    public static final String VERSION = dev.banger.core.BangerVersion.VERSION;

    private final BangerPaths paths;
    private final VmService vms;
    private final Instant startedAt = Instant.now();
    private final Runnable shutdown;

    public DaemonMethods(BangerPaths paths, VmService vms, Runnable shutdown) {
        this.paths = paths;
        this.vms = vms;
        this.shutdown = shutdown;
    }

    public void register(Map<String, RpcMethod> m) {
        handle(m, Methods.DAEMON_STATUS, (p, ctx) -> {
            var all = vms.list();
            return new DaemonStatus(ProcessHandle.current().pid(), VERSION, startedAt, paths.daemonSocket().toString(),
                    paths.stateDir().toString(), all.size(), all.stream().filter(v -> v.state() == VmState.RUNNING).count());
        });
        handle(m, Methods.DAEMON_STOP, (p, ctx) -> {
            // Reply first, then exit: the caller learns the stop was accepted.
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                shutdown.run();
            });
            return new DaemonStopResult(true, ProcessHandle.current().pid());
        });
        handle(m, Methods.RPC_METHODS, (p, ctx) -> List.copyOf(new TreeSet<>(m.keySet())));
    }
}
