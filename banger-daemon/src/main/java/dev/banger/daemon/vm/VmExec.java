package dev.banger.daemon.vm;

import dev.banger.core.api.ExecOutput;
import dev.banger.core.api.ExecResult;
import dev.banger.core.api.Notifications;
import dev.banger.core.api.VmExecParams;
import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.agent.AgentException;
import dev.banger.daemon.agent.ExecListener;
import dev.banger.daemon.agent.ExecRequest;
import dev.banger.daemon.agent.ExecSession;
import dev.banger.daemon.rpc.CallContext;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code vm.exec}: runs a command over the guest agent. Output streams back as
 * {@code exec.output} notifications; the caller streams stdin with {@code exec.stdin},
 * {@code exec.stdin_close} and {@code exec.resize}. The result carries the remote exit code.
 * If the caller disconnects, the remote process is killed. Stdin that arrives before the
 * session exists waits for it (the call's inbound mailbox delivers in order, off the RPC
 * connection's reader); output reaches the caller on the session's own thread, and a caller
 * that stops reading has its session cut off after 4 MiB instead of stalling the VM's others.
 */
public final class VmExec {
    private static final int SIGHUP = 1;
    private static final int SIGKILL = 9;

    private final VmService vms;
    private final GuestAgents agents;
    private final CallerSessions sessions;

    public VmExec(VmService vms, GuestAgents agents) {
        this.vms = vms;
        this.agents = agents;
        this.sessions = new CallerSessions(vms, agents);
    }

    /** How a call's session is run (vm.cp runs its own sessions the same way). */
    CallerSessions sessions() {
        return sessions;
    }

    public ExecResult call(VmExecParams p, CallContext ctx) throws Exception {
        if (p.argv() == null || p.argv().isEmpty() || p.argv().getFirst().isEmpty()) {
            throw RpcException.invalid("a command is required");
        }
        return run(vms.requireRunning(p.vm()), p, ctx);
    }

    /**
     * Runs {@code p.argv()} in the running {@code vm} (its {@code p.vm()} is not looked at), streaming
     * as vm.exec does; vm.run runs its command through here too.
     */
    ExecResult run(VmRecord vm, VmExecParams p, CallContext ctx) throws Exception {
        boolean tty = p.tty();
        ExecRequest request;
        try {
            request = new ExecRequest(p.argv(), p.env() == null ? Map.of() : p.env(),
                    p.cwd() == null ? "" : p.cwd(), tty, p.rows() == null ? 24 : p.rows(), p.cols() == null ? 80 : p.cols());
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid(e.getMessage());   // the caller's argv, rows or cols
        }
        CompletableFuture<ExecSession> session = new CompletableFuture<>();
        Base64.Decoder b64 = Base64.getDecoder();
        ctx.onInbound(Notifications.EXEC_STDIN, n -> CallerSessions.withSession(session, s -> s.writeStdin(b64.decode(n.data()))));
        ctx.onInbound(Notifications.EXEC_STDIN_CLOSE, n -> CallerSessions.withSession(session, ExecSession::closeStdin));
        ctx.onInbound(Notifications.EXEC_RESIZE, n -> CallerSessions.withSession(session, s -> s.resize(n.rows(), n.cols())));
        Base64.Encoder enc = Base64.getEncoder();
        ExecListener listener = new ExecListener() {
            @Override
            public void onStdout(byte[] data) {
                ctx.notify(Notifications.EXEC_OUTPUT, new ExecOutput(ctx.callId(), ExecOutput.STDOUT, enc.encodeToString(data)));
            }

            @Override
            public void onStderr(byte[] data) {
                ctx.notify(Notifications.EXEC_OUTPUT, new ExecOutput(ctx.callId(), ExecOutput.STDERR, enc.encodeToString(data)));
            }

            @Override
            public void onExit(int code) { }

            @Override
            public void onError(String message) { }
        };
        try {
            return new ExecResult(sessions.run(vm, request, listener, session, ctx, tty ? SIGHUP : SIGKILL));
        } catch (AgentException e) {
            throw new RpcException(RpcErrors.FAILED, "exec in " + vm.name() + ": " + e.getMessage());
        }
    }

    /** What {@link #capture} saw: the exit code and stdout, cut at the limit ({@code truncated} then set). */
    record Captured(int exitCode, byte[] stdout, boolean truncated) { }

    /**
     * Runs {@code argv} in the running {@code vm} without a terminal or stdin and keeps its stdout (stderr
     * is dropped), for bangerd's own small reads of guest files. Bounded: past {@code timeout} the
     * process is killed and this throws a {@link TimeoutException}; an interrupted caller kills it too.
     */
    Captured capture(VmRecord vm, List<String> argv, int maxBytes, Duration timeout) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicBoolean truncated = new AtomicBoolean();
        ExecListener listener = new ExecListener() {
            @Override
            public void onStdout(byte[] data) {
                synchronized (out) {
                    int room = maxBytes - out.size();
                    out.write(data, 0, Math.min(room, data.length));
                    if (data.length > room) truncated.set(true);
                }
            }

            @Override
            public void onStderr(byte[] data) { }

            @Override
            public void onExit(int code) { }

            @Override
            public void onError(String message) { }
        };
        ExecSession s = agents.exec(vm.id(), vms.agentEndpoint(vm), new ExecRequest(argv, Map.of(), "", false, 24, 80), listener);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        // awaitExit has no deadline of its own: it waits on a virtual thread, this thread on the future
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                exit.complete(s.awaitExit());
            } catch (Throwable t) {
                exit.completeExceptionally(t);
            }
        });
        boolean finished = false;
        try {
            int code = exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            finished = true;
            synchronized (out) {
                return new Captured(code, out.toByteArray(), truncated.get());
            }
        } catch (ExecutionException e) {
            finished = true;
            if (e.getCause() instanceof AgentException a) throw a;
            throw e.getCause() instanceof Exception c ? c : e;
        } catch (TimeoutException e) {
            throw new TimeoutException(argv.getFirst() + " in " + vm.name() + " did not finish within " + timeout.toSeconds() + " s");
        } finally {
            if (!finished) {
                try {
                    s.signal(SIGKILL);
                } catch (Exception ignored) {
                    // the agent is gone too; nothing left to kill
                }
                waiter.interrupt();
            }
        }
    }
}
