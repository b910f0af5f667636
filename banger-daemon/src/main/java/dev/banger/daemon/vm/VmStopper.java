package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** stop, kill, rm and prune, and the rule that a kill or forced rm cuts a graceful stop's wait short. */
final class VmStopper {
    private static final Logger LOG = LoggerFactory.getLogger(VmStopper.class);

    private final VmRows rows;
    private final VmLocks locks;
    private final Teardown teardown;
    private final Vmm vmm;
    private final GuestAgents agents;
    /** The thread of each graceful stop now waiting on its guest, by VM id. */
    private final Map<String, StopInProgress> stopsInProgress = new ConcurrentHashMap<>();

    VmStopper(VmRows rows, VmLocks locks, Teardown teardown, Vmm vmm, GuestAgents agents) {
        this.rows = rows;
        this.locks = locks;
        this.teardown = teardown;
        this.vmm = vmm;
        this.agents = agents;
    }

    /** Guest shutdown via the agent, then the driver's graceful shutdown (ACPI), then kill once the timeout is spent (seed 001: 10 s). */
    VmRecord stop(String ref, Duration timeout) throws Exception {
        return stop(ref, timeout, null, vm -> true).orElseThrow();
    }

    /**
     * The stop above with a {@code reason} recorded as the stopped VM's {@code last_error} (null:
     * none), and {@code proceed} asked under the VM's lock: false leaves the VM as it is and answers
     * empty (the idle stop: activity that began while it waited for the lock keeps the VM running).
     */
    Optional<VmRecord> stop(String ref, Duration timeout, String reason, java.util.function.Predicate<VmRecord> proceed)
            throws Exception {
        VmRecord found = rows.find(ref);
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            VmRecord vm = rows.reload(found.id());
            if (vm.state() != VmState.RUNNING) return Optional.of(vm);
            if (!proceed.test(vm)) return Optional.empty();
            Optional<VmHandles> h = teardown.currentHandles(vm);
            long deadline = System.nanoTime() + timeout.toNanos();
            if (h.isPresent() && teardown.isAlive(vm)) {
                gracefulShutdown(vm, h.get(), timeout, deadline);
            }
            return Optional.of(tearDownAndMarkStopped(vm, reason));
        }
    }

    /**
     * Agent shutdown, then ACPI, waiting up to the stop timeout. A {@code kill} or {@code rm -f} of
     * the same VM interrupts this wait (they must end any VM within a bound, however long the stop's
     * timeout): the stop then goes straight on to the kill in its teardown.
     */
    private void gracefulShutdown(VmRecord vm, VmHandles h, Duration timeout, long deadline) {
        StopInProgress stop = new StopInProgress(Thread.currentThread());
        stopsInProgress.put(vm.id(), stop);
        VmmProcess process = teardown.process(vm, h);
        try {
            boolean asked = agents.requestShutdown(vm.id(), vmm.agentEndpoint(VmMachines.of(vm)));
            // the agent call may have consumed the interrupt: the flag says whether a kill came meanwhile
            if (stop.killRequested) throw new InterruptedException("kill requested");
            long half = System.nanoTime() + timeout.toNanos() / 2;
            if (!asked || !process.waitGone(remaining(asked ? half : System.nanoTime()))) {
                if (stop.killRequested) throw new InterruptedException("kill requested");
                vmm.requestPowerdown(VmMachines.of(vm, h));
                process.waitGone(remaining(deadline));
            }
        } catch (InterruptedException killRequested) {
            LOG.info("stop of {} cut short: killing it now", vm.name());
        } finally {
            stopsInProgress.remove(vm.id(), stop);
            Thread.interrupted();  // the teardown's own waits must run
        }
    }

    /** A kill or forced rm ends a graceful stop in progress instead of queueing behind its timeout. */
    private void cutShortAnyStop(String vmId) {
        StopInProgress stopping = stopsInProgress.get(vmId);
        if (stopping != null) {
            stopping.killRequested = true;
            stopping.thread.interrupt();
        }
    }

    private static final class StopInProgress {
        final Thread thread;
        volatile boolean killRequested;

        StopInProgress(Thread thread) {
            this.thread = thread;
        }
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    VmRecord kill(String ref) throws Exception {
        VmRecord found = rows.find(ref);
        cutShortAnyStop(found.id());
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            return tearDownAndMarkStopped(rows.reload(found.id()));
        }
    }

    private VmRecord tearDownAndMarkStopped(VmRecord vm) throws Exception {
        return tearDownAndMarkStopped(vm, null);
    }

    private VmRecord tearDownAndMarkStopped(VmRecord vm, String reason) throws Exception {
        Exception cleanup = teardown.collect(vm, true, true);
        String error = cleanup == null ? reason : reason == null ? cleanup.getMessage() : reason + "; " + cleanup.getMessage();
        VmRecord stopped = rows.markStopped(vm, error);
        if (cleanup != null) throw cleanup;
        return stopped;
    }

    VmRecord remove(String ref, boolean force) throws Exception {
        VmRecord found = rows.find(ref);
        if (force) cutShortAnyStop(found.id());
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            VmRecord vm = rows.reload(found.id());
            if (vm.state() == VmState.RUNNING && teardown.isAlive(vm) && !force) {
                throw RpcException.conflict("vm " + vm.name() + " is running; stop it first or use --force");
            }
            Exception cleanup = teardown.collect(vm, false, true);
            if (cleanup != null) {
                rows.store().upsertVm(vm.withState(VmState.ERROR).withRuntime(vm.runtime().withLastError(cleanup.getMessage())));
                throw cleanup;
            }
            rows.store().deleteVm(vm.id());
            // Only a VM that is really gone loses its agent entry and lock; a refused rm changes nothing.
            agents.forget(vm.id());
            locks.forgetUnlessWaitedOn(vm.id());
            return vm;
        }
    }

    /** Removes every VM that is not running. Returns what was removed. */
    List<VmRecord> prune() throws Exception {
        List<VmRecord> removed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (VmRecord vm : rows.store().listVms()) {
            if (vm.state() == VmState.RUNNING) continue;
            try {
                removed.add(remove(vm.id(), false));
            } catch (RpcException e) {
                if (e.code() != RpcErrors.CONFLICT) failures.add(vm.name() + ": " + e.getMessage());
            } catch (Exception e) {
                failures.add(vm.name() + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) throw new IOException("prune: " + String.join("; ", failures));
        return removed;
    }
}
