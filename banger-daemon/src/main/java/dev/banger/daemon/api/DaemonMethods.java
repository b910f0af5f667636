package dev.banger.daemon.api;

import dev.banger.core.BangerPaths;
import dev.banger.core.model.VmState;
import dev.banger.daemon.rpc.RpcMethod;
import dev.banger.daemon.vm.VmService;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/** RPC surface of {@code banger daemon …}, plus {@code rpc.methods} for discovery. */
public final class DaemonMethods {
    public static final String VERSION = "0.1.0";

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
        m.put("daemon.status", (p, ctx) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("pid", ProcessHandle.current().pid());
            s.put("version", VERSION);
            s.put("started_at", startedAt.toString());
            s.put("socket", paths.daemonSocket().toString());
            s.put("state_dir", paths.stateDir().toString());
            var all = vms.list();
            s.put("vms", all.size());
            s.put("running", all.stream().filter(v -> v.state() == VmState.RUNNING).count());
            return s;
        });
        m.put("daemon.stop", (p, ctx) -> {
            // Reply first, then exit: the caller learns the stop was accepted.
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                shutdown.run();
            });
            return Map.of("stopping", true, "pid", ProcessHandle.current().pid());
        });
        m.put("rpc.methods", (p, ctx) -> new TreeSet<>(m.keySet()));
    }
}
