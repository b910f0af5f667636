package dev.banger.daemon.api;

import dev.banger.core.model.VmRecord;
import dev.banger.daemon.rpc.RpcMethod;
import dev.banger.daemon.vm.VmExec;
import dev.banger.daemon.vm.VmService;
import java.time.Duration;
import java.util.Map;

/** RPC surface of {@code banger vm …}. Every method documented in docs/rpc.md. */
public final class VmMethods {
    private final VmService vms;
    private final VmExec exec;
    private final int defaultStopTimeoutSeconds;

    public VmMethods(VmService vms, VmExec exec, int defaultStopTimeoutSeconds) {
        this.vms = vms;
        this.exec = exec;
        this.defaultStopTimeoutSeconds = defaultStopTimeoutSeconds;
    }

    record CreateParams(String name, String image, Integer vcpu, Integer memoryMib, String diskSize, Boolean noStart,
                        Boolean removeOnFailure) { }

    record StopParams(String vm, Integer timeoutSeconds) { }

    record RmParams(String vm, Boolean force) { }

    public void register(Map<String, RpcMethod> m) {
        m.put("vm.create", (p, ctx) -> {
            CreateParams c = Params.decode(p, CreateParams.class);
            return vms.create(new VmService.CreateRequest(c.name(), c.image(), c.vcpu(), c.memoryMib(), c.diskSize(),
                    Boolean.TRUE.equals(c.noStart()), Boolean.TRUE.equals(c.removeOnFailure())), ctx);
        });
        m.put("vm.start", (p, ctx) -> vms.start(Params.requireText(p, "vm"), ctx));
        m.put("vm.stop", (p, ctx) -> {
            StopParams s = Params.decode(p, StopParams.class);
            return vms.stop(Params.requireText(p, "vm"), timeout(s.timeoutSeconds()));
        });
        m.put("vm.kill", (p, ctx) -> vms.kill(Params.requireText(p, "vm")));
        m.put("vm.restart", (p, ctx) -> {
            StopParams s = Params.decode(p, StopParams.class);
            return vms.restart(Params.requireText(p, "vm"), timeout(s.timeoutSeconds()), ctx);
        });
        m.put("vm.rm", (p, ctx) -> {
            RmParams r = Params.decode(p, RmParams.class);
            return vms.remove(Params.requireText(p, "vm"), Boolean.TRUE.equals(r.force()));
        });
        m.put("vm.prune", (p, ctx) -> Map.of("removed", vms.prune().stream().map(VmRecord::name).toList()));
        m.put("vm.list", (p, ctx) -> vms.list());
        m.put("vm.show", (p, ctx) -> vms.find(Params.requireText(p, "vm")));
        m.put("vm.logs", (p, ctx) -> {
            VmRecord vm = vms.find(Params.requireText(p, "vm"));
            return Map.of("vm", vm.name(), "path", vm.runtime().consoleLog());
        });
        m.put("vm.exec", exec::call);
    }

    private Duration timeout(Integer seconds) {
        int s = seconds == null ? defaultStopTimeoutSeconds : seconds;
        if (s < 0) throw dev.banger.core.rpc.RpcException.invalid("timeout must not be negative");
        return Duration.ofSeconds(s);
    }
}
