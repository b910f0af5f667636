package dev.banger.daemon.vm;

import dev.banger.core.api.ExecOutput;
import dev.banger.core.api.Notifications;
import dev.banger.core.api.VmCpInParams;
import dev.banger.core.api.VmCpOutParams;
import dev.banger.core.api.VmCpResult;
import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.agent.AgentException;
import dev.banger.daemon.agent.ExecListener;
import dev.banger.daemon.agent.ExecRequest;
import dev.banger.daemon.agent.ExecSession;
import dev.banger.daemon.rpc.CallContext;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code vm.cp.in} and {@code vm.cp.out}: a tar stream between the caller and a busybox tar in the guest,
 * over the agent's exec (stdin in, stdout out), so neither sshd nor the guest's network is needed. bangerd
 * only pipes bytes: the caller (the CLI, as the user) reads and writes the host's files, and the guest's
 * side is one of {@link GuestCopy}'s fixed scripts. Its stderr is kept (bounded) for the error message.
 */
public final class VmCp {
    private static final int SIGKILL = 9;
    private static final int MAX_STDERR = 4096;

    private final VmService vms;
    private final CallerSessions sessions;

    public VmCp(VmService vms, VmExec exec) {
        this.vms = vms;
        this.sessions = exec.sessions();
    }

    public VmCpResult in(VmCpInParams p, CallContext ctx) throws Exception {
        String path = GuestCopy.guestPath(p.path());
        String name = GuestCopy.entryName(p.name());
        VmRecord vm = vms.requireRunning(p.vm());
        AtomicLong bytes = new AtomicLong();
        CompletableFuture<ExecSession> session = new CompletableFuture<>();
        Base64.Decoder b64 = Base64.getDecoder();
        ctx.onInbound(Notifications.EXEC_STDIN, n -> CallerSessions.withSession(session, s -> {
            byte[] data = b64.decode(n.data());
            bytes.addAndGet(data.length);
            s.writeStdin(data);
        }));
        ctx.onInbound(Notifications.EXEC_STDIN_CLOSE, n -> CallerSessions.withSession(session, ExecSession::closeStdin));
        run(vm, GuestCopy.unpack(path, name), session, ctx, data -> { });
        return new VmCpResult(vm.name(), path, bytes.get());
    }

    public VmCpResult out(VmCpOutParams p, CallContext ctx) throws Exception {
        String path = GuestCopy.guestPath(p.path());
        if (path.equals("/")) throw RpcException.invalid("cannot copy the guest's / itself; name a path under it");
        VmRecord vm = vms.requireRunning(p.vm());
        AtomicLong bytes = new AtomicLong();
        Base64.Encoder enc = Base64.getEncoder();
        CompletableFuture<ExecSession> session = new CompletableFuture<>();
        run(vm, GuestCopy.pack(path, p.recursive()), session, ctx, data -> {
            bytes.addAndGet(data.length);
            ctx.notify(Notifications.EXEC_OUTPUT, new ExecOutput(ctx.callId(), ExecOutput.STDOUT, enc.encodeToString(data)));
        });
        return new VmCpResult(vm.name(), path, bytes.get());
    }

    private void run(VmRecord vm, List<String> argv, CompletableFuture<ExecSession> session, CallContext ctx,
                     java.util.function.Consumer<byte[]> stdout) throws Exception {
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        ExecListener listener = new ExecListener() {
            @Override
            public void onStdout(byte[] data) {
                stdout.accept(data);
            }

            @Override
            public void onStderr(byte[] data) {
                synchronized (stderr) {
                    stderr.write(data, 0, Math.min(data.length, Math.max(0, MAX_STDERR - stderr.size())));
                }
            }

            @Override
            public void onExit(int code) { }

            @Override
            public void onError(String message) { }
        };
        int code;
        try {
            code = sessions.run(vm, new ExecRequest(argv, Map.of(), "/", false, 24, 80, true), listener, session, ctx, SIGKILL);
        } catch (AgentException e) {
            if (e.getMessage() != null && e.getMessage().contains(GuestCopy.BUSYBOX)) {
                throw new RpcException(RpcErrors.FAILED, vm.name() + " has no " + GuestCopy.BUSYBOX + " (booted before vm cp existed: restart it)");
            }
            throw new RpcException(RpcErrors.FAILED, "copy in " + vm.name() + ": " + e.getMessage());
        }
        if (code == 0) return;
        String message;
        synchronized (stderr) {
            message = stderr.toString(StandardCharsets.UTF_8).strip().lines().reduce((a, b) -> b).orElse("exit status " + code);
        }
        throw switch (code) {
            case GuestCopy.MISSING -> RpcException.notFound(message);
            case GuestCopy.IS_DIRECTORY -> RpcException.invalid(message);
            default -> new RpcException(RpcErrors.FAILED, "copy in " + vm.name() + ": " + message);
        };
    }
}
