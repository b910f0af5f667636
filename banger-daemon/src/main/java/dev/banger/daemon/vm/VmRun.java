package dev.banger.daemon.vm;

import dev.banger.core.api.ExecResult;
import dev.banger.core.api.VmCreateParams;
import dev.banger.core.api.VmExecParams;
import dev.banger.core.api.VmRunParams;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.ImageRunConfig;
import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.rpc.CallContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code vm.run}: create and boot a VM, then run a command in it through {@link VmExec} (same
 * streaming, stdin and cancellation as vm.exec). The command is the caller's argv, else the image's
 * entrypoint + cmd with its env and working dir (what {@code docker run IMAGE} runs), else a login
 * shell on a terminal. With {@code rm} the VM is removed here, in bangerd, when the command ends:
 * also when the caller goes away mid-run (the cancelled call kills the remote command, then this
 * removes the VM), so a killed CLI leaks nothing.
 */
public final class VmRun {
    /** What {@code vm run} opens when neither the caller nor the image names a command. */
    static final List<String> LOGIN_SHELL = List.of("/bin/sh", "-c",
            "cd \"$HOME\"; if command -v bash >/dev/null; then exec bash -l; else exec sh -l; fi");

    private final VmService vms;
    private final VmExec exec;
    private final Function<String, ImageRecord> imageById;

    public VmRun(VmService vms, VmExec exec, Function<String, ImageRecord> imageById) {
        this.vms = vms;
        this.exec = exec;
        this.imageById = imageById;
    }

    public ExecResult call(VmRunParams p, CallContext ctx) throws Exception {
        if (p.argv() != null && !p.argv().isEmpty() && p.argv().getFirst().isEmpty()) throw RpcException.invalid("the command must not be empty");
        VmRecord vm = vms.create(createParams(p), ctx);
        Exception failure = null;
        try {
            return exec.run(vm, command(vm, p), ctx);
        } catch (Exception e) {
            failure = e;
            throw e;
        } finally {
            if (p.rm()) remove(vm, failure);
        }
    }

    /** What vm.run creates: the caller's create params as they are (port forwards too), booted; --rm also covers a failed boot. */
    static VmCreateParams createParams(VmRunParams p) {
        VmCreateParams c = p.create() == null ? new VmCreateParams(null, null, null, null, null, false, false) : p.create();
        if (c.noStart()) throw RpcException.invalid("vm.run boots the VM: no_start cannot be set");
        return c.booting(c.removeOnFailure() || p.rm());
    }

    private VmExecParams command(VmRecord vm, VmRunParams p) {
        if (p.argv() != null && !p.argv().isEmpty()) {
            return new VmExecParams(vm.name(), p.argv(), p.env(), null, p.tty(), p.rows(), p.cols());
        }
        ImageRunConfig config = imageById.apply(vm.imageId()).config();
        if (!config.command().isEmpty()) {
            Map<String, String> env = new LinkedHashMap<>();
            for (String kv : config.env()) {
                String[] parts = kv.split("=", 2);
                if (parts.length == 2) env.put(parts[0], parts[1]);
            }
            if (p.env() != null) env.putAll(p.env());
            String cwd = config.workingDir().isEmpty() ? null : config.workingDir();
            return new VmExecParams(vm.name(), config.command(), env, cwd, p.tty(), p.rows(), p.cols());
        }
        // the shell always gets a terminal, so it needs a TERM even from a caller that had none to send
        Map<String, String> env = new LinkedHashMap<>(p.env() == null ? Map.of() : p.env());
        env.putIfAbsent("TERM", "xterm-256color");
        return new VmExecParams(vm.name(), LOGIN_SHELL, env, null, true, p.rows(), p.cols());
    }

    /** Removes the VM even on a cancelled call (interrupt cleared meanwhile); a failure joins the call's own. */
    private void remove(VmRecord vm, Exception failure) throws Exception {
        boolean interrupted = Thread.interrupted();
        try {
            vms.remove(vm.id(), true);
        } catch (Exception e) {
            if (failure == null) throw e;
            failure.addSuppressed(e);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
