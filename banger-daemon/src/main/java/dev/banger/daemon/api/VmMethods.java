package dev.banger.daemon.api;

import static dev.banger.daemon.api.Params.handle;
import static dev.banger.daemon.api.Params.require;

import dev.banger.core.api.Methods;
import dev.banger.core.api.VmLogsResult;
import dev.banger.core.api.VmPruneResult;
import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.rpc.RpcMethod;
import dev.banger.daemon.vm.VmCp;
import dev.banger.daemon.vm.VmExec;
import dev.banger.daemon.vm.VmRun;
import dev.banger.daemon.vm.VmService;
import dev.banger.daemon.vm.VmStats;
import dev.banger.daemon.vm.SshHosts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** RPC surface of {@code banger vm …}. Every method documented in docs/rpc.md. */
public final class VmMethods {
    private final VmService vms;
    private final VmExec exec;
    private final VmRun run;
    private final VmCp cp;
    private final VmStats stats;
    private final SshHosts sshHosts;
    private final int defaultStopTimeoutSeconds;

    /** {@code sshDir}: banger's {@code <state>/ssh} (its key pair; vm.ssh.hosts writes known_hosts there). */
    public VmMethods(VmService vms, VmExec exec, ImageService images, int defaultStopTimeoutSeconds, Path sshDir) {
        this.vms = vms;
        this.exec = exec;
        this.run = new VmRun(vms, exec, images::show);
        this.cp = new VmCp(vms, exec);
        this.stats = new VmStats(vms);
        this.sshHosts = new SshHosts(vms, exec, sshDir);
        this.defaultStopTimeoutSeconds = defaultStopTimeoutSeconds;
    }

    public void register(Map<String, RpcMethod> m) {
        handle(m, Methods.VM_CREATE, vms::create);
        handle(m, Methods.VM_RUN, run::call);
        handle(m, Methods.VM_START, (p, ctx) -> vms.start(require(p.vm(), "vm"), ctx));
        handle(m, Methods.VM_STOP, (p, ctx) -> vms.stop(require(p.vm(), "vm"), timeout(p.timeoutSeconds())));
        handle(m, Methods.VM_KILL, (p, ctx) -> vms.kill(require(p.vm(), "vm")));
        handle(m, Methods.VM_RESTART, (p, ctx) -> vms.restart(require(p.vm(), "vm"), timeout(p.timeoutSeconds()), ctx));
        handle(m, Methods.VM_RM, (p, ctx) -> vms.remove(require(p.vm(), "vm"), p.force()));
        handle(m, Methods.VM_PRUNE, (p, ctx) -> new VmPruneResult(vms.prune().stream().map(VmRecord::name).toList()));
        handle(m, Methods.VM_LIST, (p, ctx) -> vms.list());
        handle(m, Methods.VM_SHOW, (p, ctx) -> vms.show(require(p.vm(), "vm")));
        handle(m, Methods.VM_LOGS, (p, ctx) -> {
            VmRecord vm = vms.find(require(p.vm(), "vm"));
            return new VmLogsResult(vm.name(), vm.runtime().consoleLog());
        });
        handle(m, Methods.VM_EXEC, exec::call);
        handle(m, Methods.VM_CP_IN, cp::in);
        handle(m, Methods.VM_CP_OUT, cp::out);
        handle(m, Methods.VM_PORT_ADD, (p, ctx) -> vms.ports().add(require(p.vm(), "vm"), forward(p.forward())));
        handle(m, Methods.VM_PORT_RM, (p, ctx) -> vms.ports().remove(require(p.vm(), "vm"), forward(p.forward())));
        handle(m, Methods.VM_PORT_LS, (p, ctx) -> vms.ports().list(require(p.vm(), "vm")));
        handle(m, Methods.VM_STATS, (p, ctx) -> stats.stats(p.vm() == null || p.vm().isBlank() ? null : p.vm()));
        handle(m, Methods.VM_RESIZE, (p, ctx) -> vms.resize(require(p.vm(), "vm"), p.rootSize(), p.diskSize()));
        handle(m, Methods.VM_SSH_HOSTS, (p, ctx) -> sshHosts.call(p));
    }

    private static dev.banger.core.model.PortForward forward(dev.banger.core.model.PortForward f) {
        if (f == null) throw RpcException.invalid("invalid params: forward is required");
        return f;
    }

    private Duration timeout(Integer seconds) {
        int s = seconds == null ? defaultStopTimeoutSeconds : seconds;
        if (s < 0) throw RpcException.invalid("timeout must not be negative");
        return Duration.ofSeconds(s);
    }
}
