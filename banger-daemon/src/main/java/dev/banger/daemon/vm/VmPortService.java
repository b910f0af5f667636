package dev.banger.daemon.vm;

import dev.banger.core.api.VmPorts;
import dev.banger.core.model.PortForward;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.vmm.PortBusyException;
import dev.banger.daemon.vmm.Vmm;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code vm port add|rm|ls} and the checks of {@code vm create -p}. A host port belongs to one VM
 * (whatever its state): claims are checked and written under the reservation lock, so two VMs never
 * persist the same one. On a running VM the forward is bound or unbound live, by the driver (rootless:
 * the VMM's user network) or, for a bridged VM, by bangerd's own relay ({@link PortForwards}); the row
 * is written after the bind succeeded, so a refused forward leaves no record.
 */
public final class VmPortService {
    private final VmRows rows;
    private final VmLocks locks;
    private final Teardown teardown;
    private final Vmm vmm;
    private final java.util.Optional<PortForwards> bridgedForwards;
    private final HostPorts hostPorts;

    VmPortService(VmRows rows, VmLocks locks, Teardown teardown, Vmm vmm, java.util.Optional<PortForwards> bridgedForwards,
                  HostPorts hostPorts) {
        this.rows = rows;
        this.locks = locks;
        this.teardown = teardown;
        this.vmm = vmm;
        this.bridgedForwards = bridgedForwards;
        this.hostPorts = hostPorts;
    }

    public VmPorts list(String ref) {
        VmRecord vm = rows.find(ref);
        return new VmPorts(vm.name(), vm.spec().portForwards());
    }

    public VmPorts add(String ref, PortForward forward) throws Exception {
        checkRequested(List.of(forward));
        VmRecord found = rows.find(ref);
        try (VmLocks.Held ignored = locks.lockVm(found.id())) {
            locks.reservation.lockInterruptibly();
            try {
                VmRecord vm = rows.reload(found.id());
                refuseWhileStarting(vm);
                checkUnclaimed(vm, List.of(forward));
                boolean live = isRunning(vm);
                if (live) {
                    hostPorts.checkFree(forward);   // names the reason (busy, not this host's address) before the VMM tries
                    bindLive(vm, forward);
                }
                List<PortForward> forwards = new ArrayList<>(vm.spec().portForwards());
                forwards.add(forward);
                VmRecord updated = vm.withSpec(vm.spec().withPortForwards(forwards));
                try {
                    rows.store().upsertVm(updated);
                } catch (RuntimeException e) {
                    if (live) undoAdd(vm, forward, e);
                    throw e;
                }
                return new VmPorts(vm.name(), updated.spec().portForwards());
            } finally {
                locks.reservation.unlock();
            }
        }
    }

    private void bindLive(VmRecord vm, PortForward forward) throws IOException {
        if (vm.runtime().bridged()) {
            relaysFor(vm).open(vm, forward);
            return;
        }
        try {
            vmm.addPortForward(VmMachines.of(vm), vm.runtime().guestIp(), forward);
        } catch (PortBusyException e) {
            throw RpcException.conflict(e.getMessage());
        }
    }

    private void unbindLive(VmRecord vm, PortForward forward) throws IOException {
        if (vm.runtime().bridged()) {
            relaysFor(vm).relays().close(vm.id(), forward);
        } else {
            vmm.removePortForward(VmMachines.of(vm), forward);
        }
    }

    private PortForwards relaysFor(VmRecord vm) {
        return bridgedForwards.orElseThrow(() -> RpcException.invalid("vm " + vm.name()
                + " is bridged and this bangerd has no port-forward feature registered"));
    }

    private void undoAdd(VmRecord vm, PortForward forward, RuntimeException cause) {
        try {
            unbindLive(vm, forward);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    /** Only the host side of {@code forward} names it. */
    public VmPorts remove(String ref, PortForward forward) throws Exception {
        VmRecord found = rows.find(ref);
        try (VmLocks.Held ignored = locks.lockVm(found.id())) {
            VmRecord vm = rows.reload(found.id());
            refuseWhileStarting(vm);
            PortForward existing = vm.spec().portForwards().stream().filter(f -> f.hostSide().equals(forward.hostSide())).findFirst()
                    .orElseThrow(() -> RpcException.notFound("vm " + vm.name() + " has no forward from " + forward.hostSide()));
            if (isRunning(vm)) unbindLive(vm, existing);
            List<PortForward> forwards = new ArrayList<>(vm.spec().portForwards());
            forwards.remove(existing);
            VmRecord updated = vm.withSpec(vm.spec().withPortForwards(forwards));
            rows.store().upsertVm(updated);
            return new VmPorts(vm.name(), updated.spec().portForwards());
        }
    }

    /** Input checks of a request: ports this bangerd may bind, no host port twice. */
    void checkRequested(List<PortForward> forwards) {
        for (PortForward f : forwards) hostPorts.checkAllowed(f);
        for (int i = 0; i < forwards.size(); i++) {
            for (int j = i + 1; j < forwards.size(); j++) {
                if (forwards.get(i).clashesWith(forwards.get(j))) {
                    throw RpcException.invalid("host port " + forwards.get(j).hostSide() + " is forwarded twice");
                }
            }
        }
    }

    /** Every host port free now (create: refused before any VM exists). */
    void checkFree(List<PortForward> forwards) {
        for (PortForward f : forwards) hostPorts.checkFree(f);
    }

    /** Conflict when a VM (another, or {@code owner} itself: null for a new VM) already forwards one of these. Under the reservation lock. */
    void checkUnclaimed(VmRecord owner, List<PortForward> wanted) {
        for (VmRecord other : rows.store().listVms()) {
            for (PortForward claimed : other.spec().portForwards()) {
                for (PortForward f : wanted) {
                    if (f.clashesWith(claimed)) {
                        String whose = owner != null && other.id().equals(owner.id()) ? "vm " + other.name() + " already forwards "
                                : "host port " + f.hostSide() + " is forwarded by vm " + other.name() + ": ";
                        throw RpcException.conflict(whose + claimed);
                    }
                }
            }
        }
    }

    private boolean isRunning(VmRecord vm) {
        return vm.state() == VmState.RUNNING && teardown.isAlive(vm);
    }

    private static void refuseWhileStarting(VmRecord vm) {
        if (vm.state() == VmState.STARTING) throw RpcException.conflict("vm " + vm.name() + " is starting; try again when it runs");
    }
}
