package dev.banger.daemon.vm;

import dev.banger.core.api.VmUsage;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.agent.ExecListener;
import dev.banger.daemon.agent.ExecRequest;
import dev.banger.daemon.agent.ExecSession;
import dev.banger.daemon.vmm.VmmProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code vm stats}: per running VM, the VMM process's CPU use (its /proc stat sampled {@link #WINDOW}
 * apart) and the guest's memory, disks, uptime and network counters (one agent exec of
 * {@link GuestFacts#COMMAND}, run inside that window). VMs are sampled in parallel, so the call
 * takes about one window however many VMs run.
 */
public final class VmStats {
    static final Duration WINDOW = Duration.ofMillis(500);
    /** A guest that does not answer must not hold the call forever; its exec is killed. */
    static final Duration GUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final int SIGKILL = 9;
    private static final int MAX_OUTPUT = 256 * 1024;

    private final VmService vms;

    public VmStats(VmService vms) {
        this.vms = vms;
    }

    /** {@code ref} null: every running VM; else that VM, which must be running (conflict) and exist (not found). */
    public List<VmUsage> stats(String ref) throws Exception {
        List<VmRecord> targets = ref == null
                ? vms.list().stream().filter(vm -> vm.state() == VmState.RUNNING).toList()
                : List.of(vms.requireRunning(ref));
        List<VmUsage> out = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<VmUsage>> futures = new ArrayList<>();
            for (VmRecord vm : targets) futures.add(pool.submit(() -> sample(vm)));
            for (int i = 0; i < futures.size(); i++) {
                try {
                    out.add(futures.get(i).get());
                } catch (ExecutionException e) {
                    // Listing every VM: one that stopped since the list was read is simply not running any more.
                    if (ref == null && e.getCause() instanceof RpcException r && r.code() == RpcErrors.CONFLICT) continue;
                    if (e.getCause() instanceof Exception cause) throw cause;
                    throw e;
                }
            }
        }
        return out;
    }

    private VmUsage sample(VmRecord listed) throws Exception {
        VmRecord vm = vms.requireRunning(listed.id());
        VmmProcess process = vms.vmmProcess(vm)
                .orElseThrow(() -> RpcException.conflict("vm " + vm.name() + " is not running (no VMM process)"));
        long start = System.nanoTime();
        long before = cpuTicks(vm, process);
        GuestFacts guest = guestFacts(vm);
        long left = WINDOW.toNanos() - (System.nanoTime() - start);
        if (left > 0) TimeUnit.NANOSECONDS.sleep(left);
        long after = cpuTicks(vm, process);
        double cpu = ProcStat.percent(before, after, System.nanoTime() - start);
        return new VmUsage(vm.name(), vm.spec().vcpu(), Math.round(cpu * 10) / 10.0,
                guest.memTotalBytes() - guest.memAvailableBytes(), guest.memTotalBytes(),
                guest.root().usedBytes(), guest.root().sizeBytes(), guest.work().usedBytes(), guest.work().sizeBytes(),
                guest.uptimeSeconds(), guest.rxBytes(), guest.txBytes());
    }

    private static long cpuTicks(VmRecord vm, VmmProcess process) {
        return ProcStat.cpuTicks(process)
                .orElseThrow(() -> RpcException.conflict("vm " + vm.name() + " is not running (its VMM exited)"));
    }

    private GuestFacts guestFacts(VmRecord vm) throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        CompletableFuture<Integer> exited = new CompletableFuture<>();
        ExecListener listener = new ExecListener() {
            @Override
            public void onStdout(byte[] data) {
                // a fixed command prints a few KiB; the cap only guards bangerd against a strange guest
                if (stdout.size() + data.length <= MAX_OUTPUT) stdout.write(data, 0, data.length);
            }

            @Override
            public void onStderr(byte[] data) { }   // a guest without eth0 says so here; the parser reads zeros

            @Override
            public void onExit(int code) {
                exited.complete(code);   // delivered after all output, on the session's thread
            }

            @Override
            public void onError(String message) {
                exited.completeExceptionally(new IOException(message));
            }
        };
        ExecSession session = vms.agents().exec(vm.id(), vms.agentEndpoint(vm),
                new ExecRequest(GuestFacts.COMMAND, Map.of(), "", false, 0, 0), listener);
        try {
            exited.get(GUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            kill(session);
            throw new RpcException(RpcErrors.FAILED, "stats of vm " + vm.name() + ": the guest did not answer in "
                    + GUEST_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            kill(session);
            throw e;
        } catch (ExecutionException e) {
            throw new RpcException(RpcErrors.FAILED, "stats of vm " + vm.name() + ": " + e.getCause().getMessage());
        }
        try {
            return GuestFacts.parse(stdout.toString(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new RpcException(RpcErrors.FAILED, "stats of vm " + vm.name() + ": " + e.getMessage());
        }
    }

    private static void kill(ExecSession session) {
        try {
            session.signal(SIGKILL);
        } catch (IOException ignored) {
            // the agent connection is gone: so is the command
        }
    }
}
