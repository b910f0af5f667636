package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.daemon.host.HostOperations;
import dev.banger.daemon.vmm.VmmProcess;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcesses;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** After a bangerd restart, the store checked against reality; and, per running VM, the watcher that notices its exit. */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final Path runtimeDir;
    private final VmRows rows;
    private final VmLocks locks;
    private final HandleStore handles;
    private final Teardown teardown;
    private final Vmm vmm;
    private final HostOperations host;
    /** The exit watchers this daemon started, so a daemon that stops can stop them with it. */
    private final Set<Thread> watchers = java.util.concurrent.ConcurrentHashMap.newKeySet();

    Reconciler(Path runtimeDir, VmRows rows, VmLocks locks, HandleStore handles, Teardown teardown, Vmm vmm, HostOperations host) {
        this.runtimeDir = runtimeDir;
        this.rows = rows;
        this.locks = locks;
        this.handles = handles;
        this.teardown = teardown;
        this.vmm = vmm;
        this.host = host;
    }

    /**
     * Every VM the store says is running, starting or mid-create is checked against reality.
     * Alive running ones get their handles and watcher back; the rest are cleaned with the persisted
     * identity and marked stopped. Nothing is deleted.
     */
    List<String> reconcile() {
        List<String> report = new ArrayList<>();
        Set<String> adopted = new HashSet<>();
        for (VmRecord vm : rows.store().listVms()) {
            if (vm.state() != VmState.RUNNING && vm.state() != VmState.CREATED && vm.state() != VmState.STARTING) continue;
            Optional<VmHandles> h = teardown.currentHandles(vm);
            if (vm.state() == VmState.RUNNING && h.isPresent() && h.get().pid() > 0 && teardown.process(vm, h.get()).alive()) {
                handles.seed(vm.id(), h.get());
                vmm.reattachConsole(VmMachines.of(vm, h.get()), Path.of(vm.runtime().consoleLog()));
                watchForExit(vm);
                adopted.add(vm.id());
                report.add(vm.name() + ": running");
                continue;
            }
            // A start that a crash interrupted is rolled back, not adopted: its guest may never have come up.
            Exception e = teardown.collect(vm, true, true);
            String why = switch (vm.state()) {
                case RUNNING -> "vm exited while bangerd was down";
                case STARTING -> "bangerd stopped while the vm was starting; the start was rolled back";
                default -> "bangerd stopped while the vm was being created";
            };
            rows.markStopped(vm, e == null ? why : why + "; " + e.getMessage());
            report.add(vm.name() + ": cleaned, now stopped");
        }
        report.addAll(killOrphanVmms(adopted));
        return report;
    }

    /**
     * Every VMM of this home that no running VM owns is killed, whatever its row says (stopped, error,
     * or no row at all): it may be writing a disk that promote or rm is about to read or delete.
     */
    private List<String> killOrphanVmms(Set<String> adopted) {
        List<String> report = new ArrayList<>();
        for (VmmProcesses.Found orphan : vmm.processesUnder(runtimeDir)) {
            if (adopted.contains(orphan.vmId())) continue;
            try {
                boolean gone = host.killVmm(orphan.process());
                report.add("orphan vmm pid " + orphan.pid() + " of vm " + orphan.vmId() + (gone ? ": killed" : ": did not exit"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return report;
    }

    /** When the guest powers itself off (or its VMM dies), clean up and mark the VM stopped. */
    void watchForExit(VmRecord vm) {
        Optional<VmHandles> h = teardown.currentHandles(vm);
        if (h.isEmpty()) return;
        VmmProcess process = teardown.process(vm, h.get());
        Thread watcher = Thread.ofVirtual().name("watch-" + vm.name()).unstarted(() -> {
            try {
                while (process.alive()) {
                    Thread.sleep(250);
                }
                try (AutoCloseable ignored = locks.lockVm(vm.id())) {
                    Optional<VmRecord> current = rows.store().vmById(vm.id());
                    if (current.isEmpty() || current.get().state() != VmState.RUNNING) return;
                    Long recordedPid = current.get().runtime().pid();
                    if (recordedPid == null || recordedPid != process.pid()) return;
                    Exception e = teardown.collect(current.get(), true, true);
                    rows.markStopped(current.get(), e == null ? null : e.getMessage());
                    LOG.info("vm {} exited on its own; marked stopped", vm.name());
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("watcher for {} failed: {}", vm.name(), e.toString());
            } finally {
                watchers.remove(Thread.currentThread());
            }
        });
        watchers.add(watcher);
        watcher.start();
    }

    /**
     * Stops every exit watcher: a daemon shutting down leaves its VMs running (they are adopted by
     * the next one), so nothing may mark them stopped on its way out.
     */
    void stopWatching() {
        watchers.forEach(Thread::interrupt);
    }
}
