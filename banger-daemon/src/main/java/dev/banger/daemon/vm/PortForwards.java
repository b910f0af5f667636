package dev.banger.daemon.vm;

import dev.banger.core.model.PortForward;
import dev.banger.core.model.VmRecord;

/**
 * The VM feature of port forwards (rootless mode): the VM's persisted forwards ({@code spec.port_forwards})
 * are contributed to the machine's network at each launch, so the VMM binds them before the guest runs
 * and a port it cannot bind fails the launch like any other launch error, rolled back by the pipeline.
 * Contributing them (rather than adding them over the VMM's control socket after boot) leaves no window in
 * which a running VM lacks its forwards and needs no undo of its own. They die with the VMM, so there
 * is nothing to clean up. Live changes are {@link VmPortService}'s.
 */
public final class PortForwards implements VmFeature {
    private final HostPorts hostPorts;

    public PortForwards() {
        this(HostPorts.ofThisProcess());
    }

    PortForwards(HostPorts hostPorts) {
        this.hostPorts = hostPorts;
    }

    @Override
    public String name() {
        return "port_forwards";
    }

    /** A busy host port is refused as a conflict with its name, before anything is launched. */
    @Override
    public void prepare(VmRecord vm) {
        for (PortForward f : vm.spec().portForwards()) hostPorts.checkFree(f);
    }

    @Override
    public void contribute(VmRecord vm, MachineDraft machine) {
        machine.network(machine.network().withForwards(vm.spec().portForwards()));
    }
}
