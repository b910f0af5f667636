package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.agent.ExecListener;
import dev.banger.daemon.agent.ExecRequest;
import dev.banger.daemon.agent.ExecSession;
import dev.banger.daemon.rpc.CallContext;
import java.util.concurrent.CompletableFuture;

/**
 * An agent session that serves one RPC call (vm.exec, vm.run's command, vm.cp): what every such call
 * must do the same way. The caller going away signals the guest's process; the call's stdin handlers,
 * which may already be waiting on {@code session}, see it or its failure; and from its start to its exit
 * it counts as the VM's activity, so an idle stop never stops a VM under a user's exec or copy.
 * (bangerd's own reads of guest files, {@link VmExec#capture}, are not a user's and are not counted.)
 */
final class CallerSessions {
    @FunctionalInterface
    interface SessionAction {
        void apply(ExecSession s) throws Exception;
    }

    private final VmService vms;
    private final GuestAgents agents;

    CallerSessions(VmService vms, GuestAgents agents) {
        this.vms = vms;
        this.agents = agents;
    }

    /** Runs {@code request} in {@code vm} for {@code ctx}'s call; returns its exit code. */
    int run(VmRecord vm, ExecRequest request, ExecListener listener, CompletableFuture<ExecSession> session, CallContext ctx,
            int cancelSignal) throws Exception {
        ctx.onCancel(() -> {
            ExecSession s = session.getNow(null);
            if (s != null) {
                try {
                    s.signal(cancelSignal);
                } catch (Exception ignored) {
                    // the agent is gone too; nothing left to signal
                }
            }
        });
        ExecSession s;
        try {
            s = agents.exec(vm.id(), vms.agentEndpoint(vm), request, listener);
        } catch (IllegalArgumentException e) {
            session.completeExceptionally(e);
            throw RpcException.invalid(e.getMessage());   // the request could not be encoded: the caller's env or argv
        } catch (Exception | Error e) {
            // stdin handlers wait for the session (on the call's inbound thread): let them give up
            session.completeExceptionally(e);
            throw e;
        }
        session.complete(s);
        // An open session keeps an idle stop away; its end counts as the VM's last activity.
        vms.activity().execStarted(vm.id());
        try {
            return s.awaitExit();   // an AgentException is the caller's to word
        } finally {
            vms.activity().execEnded(vm.id());
        }
    }

    /** For a stdin handler: {@code action} on the session once it exists; nothing once it failed or ended. */
    static void withSession(CompletableFuture<ExecSession> session, SessionAction action) {
        try {
            action.apply(session.join());
        } catch (Exception ignored) {
            // stdin for a session that already ended (or never started): the bytes have nowhere to go
        }
    }
}
