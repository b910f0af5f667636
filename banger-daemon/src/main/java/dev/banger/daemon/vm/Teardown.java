package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.daemon.host.HostOperations;
import dev.banger.daemon.vmm.Machine;
import dev.banger.daemon.vmm.VmmProcess;
import dev.banger.daemon.vmm.Vmm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Tears down a VM's host state, in this order: agent connection, VMM process (by its identity),
 * the machine's runtime files and sockets, handles, every feature's cleanup, and (unless disks are
 * preserved) the VM directory. Never returns early: every operation runs and every error is joined
 * (seed 000). Everything on the host goes through {@link HostOperations}.
 */
final class Teardown {
    static final Duration TERMINATE_GRACE = Duration.ofSeconds(5);

    private final Vmm vmm;
    private final HostOperations host;
    private final GuestAgents agents;
    private final HandleStore handles;
    private final Features features;

    Teardown(Vmm vmm, HostOperations host, GuestAgents agents, HandleStore handles, Features features) {
        this.vmm = vmm;
        this.host = host;
        this.agents = agents;
        this.handles = handles;
        this.features = features;
    }

    void run(VmRecord vm, boolean preserveDisks, boolean immediateKill) throws Exception {
        Exception e = collect(vm, preserveDisks, immediateKill);
        if (e != null) throw e;
    }

    /** As {@link #run}, returning the joined error (null when every operation succeeded). */
    Exception collect(VmRecord vm, boolean preserveDisks, boolean immediateKill) {
        List<Exception> errors = new ArrayList<>();
        VmRuntime rt = vm.runtime();
        Path vmDir = Path.of(rt.vmDir());
        Machine recorded = VmMachines.of(vm);
        agents.disconnect(vm.id());
        Optional<VmHandles> h = currentHandles(vm);
        // The VMM's own record is read, not just deleted: after a crash between the VMM's start and
        // handles.json it is the only record of the process.
        long pidFromVmm = vmm.recordedPid(recorded);
        Machine identity = h.map(x -> VmMachines.of(vm, x)).orElse(recorded);
        Set<Long> pids = new LinkedHashSet<>();
        h.filter(x -> x.pid() > 0).ifPresent(x -> pids.add(x.pid()));
        if (pidFromVmm > 0) pids.add(pidFromVmm);
        errors.addAll(endVmm(vm.id(), identity, recorded, pids, immediateKill, Files.isDirectory(vmDir) ? vmDir : null));
        errors.addAll(features.cleanup(vm));
        if (!preserveDisks) {
            try {
                host.deleteVmDir(vmDir);
            } catch (IOException | RuntimeException e) {
                errors.add(e);
            }
        }
        return joined(errors);
    }

    /**
     * The VMM's half of every teardown, and of a failed launch's undo: end each of {@code pids} that is
     * still this VM's VMM ({@code identity}: its control socket on the command line), remove the driver's
     * runtime files ({@code layout}'s), clear the handles. Every step runs; the errors are returned.
     */
    List<Exception> endVmm(String vmId, Machine identity, Machine layout, java.util.Collection<Long> pids, boolean immediateKill,
                           Path vmDir) {
        List<Exception> errors = new ArrayList<>();
        for (long pid : pids) {
            VmmProcess process = vmm.process(pid, identity);
            try {
                boolean gone = immediateKill ? host.killVmm(process) : host.terminateVmm(process, TERMINATE_GRACE);
                if (!gone) errors.add(new IOException("vmm pid " + pid + " is still running"));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                errors.add(ie);
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        for (Path file : vmm.runtimeFiles(layout)) {
            try {
                host.removeRuntimeFile(file);
            } catch (IOException | RuntimeException e) {
                errors.add(e);
            }
        }
        try {
            handles.clear(vmId, vmDir);
        } catch (IOException e) {
            errors.add(e);
        }
        return errors;
    }

    /** Cache, else handles.json, else the row, else the VMM's own record (a crash before handles.json was written). */
    Optional<VmHandles> currentHandles(VmRecord vm) {
        Optional<VmHandles> cached = handles.cached(vm.id());
        if (cached.isPresent()) return cached;
        Path vmDir = Path.of(vm.runtime().vmDir());
        Optional<VmHandles> file = HandleStore.readFile(vmDir);
        if (file.isPresent()) return file;
        VmRuntime rt = vm.runtime();
        if (rt.pid() != null && rt.pid() > 0) {
            return Optional.of(new VmHandles(rt.pid(), rt.vmm(), rt.qmpSocket(), rt.agentSocket(), rt.tap()));
        }
        long pidFromVmm = vmm.recordedPid(VmMachines.of(vm));
        if (pidFromVmm > 0) return Optional.of(new VmHandles(pidFromVmm, vmm.name(), rt.qmpSocket(), rt.agentSocket()));
        return Optional.empty();
    }

    /** The VMM of the VM's last start is alive and still ours. */
    boolean isAlive(VmRecord vm) {
        return currentHandles(vm).filter(h -> h.pid() > 0).map(h -> process(vm, h).alive()).orElse(false);
    }

    VmmProcess process(VmRecord vm, VmHandles h) {
        return vmm.process(h.pid(), VmMachines.of(vm, h));
    }

    static Exception joined(List<Exception> errors) {
        if (errors.isEmpty()) return null;
        IOException first = new IOException(String.join("; ", errors.stream()
                .map(e -> e.getMessage() == null ? e.toString() : e.getMessage()).toList()));
        errors.forEach(first::addSuppressed);
        return first;
    }
}
