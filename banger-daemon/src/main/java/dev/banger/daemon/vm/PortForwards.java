package dev.banger.daemon.vm;

import dev.banger.core.model.PortForward;
import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.forward.HostRelays;
import dev.banger.daemon.vmm.PortBusyException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The VM feature of port forwards: the VM's persisted forwards ({@code spec.port_forwards}) are bound
 * on the host at each start and released at each stop. How depends on the VM's network:
 * <ul>
 * <li>rootless: they are contributed to the machine's user network, so the VMM binds them before the
 *     guest runs and a port it cannot bind fails the launch like any other launch error, rolled back by
 *     the pipeline; they die with the VMM;</li>
 * <li>bridged: the guest has its own address, which no VMM forward reaches, so bangerd relays each
 *     forward itself ({@link HostRelays}), opened once the agent answers and closed in every teardown;
 *     a bangerd restart opens them again for the VMs still running ({@link #reconcile}).</li>
 * </ul>
 * Live changes are {@link VmPortService}'s, through the same {@link #relays()}.
 */
public final class PortForwards implements VmFeature {
    private final HostPorts hostPorts;
    private final HostRelays relays;

    public PortForwards() {
        this(HostPorts.ofThisProcess(), new HostRelays());
    }

    PortForwards(HostPorts hostPorts, HostRelays relays) {
        this.hostPorts = hostPorts;
        this.relays = relays;
    }

    @Override
    public String name() {
        return "port_forwards";
    }

    /** The bridged VMs' forwards bangerd carries. */
    HostRelays relays() {
        return relays;
    }

    /** A busy host port is refused as a conflict with its name, before anything is launched. */
    @Override
    public void prepare(VmRecord vm) {
        for (PortForward f : vm.spec().portForwards()) hostPorts.checkFree(f);
    }

    @Override
    public void contribute(VmRecord vm, MachineDraft machine) {
        if (!bridged(vm)) machine.network(machine.network().withForwards(vm.spec().portForwards()));
    }

    /** Bridged: every forward is bound before the start is reported done; one that cannot be fails the start (rolled back). */
    @Override
    public void postStart(VmRecord vm) throws IOException {
        if (!bridged(vm)) return;
        for (PortForward f : vm.spec().portForwards()) open(vm, f);
    }

    @Override
    public void cleanup(VmRecord vm) {
        relays.closeAll(vm.id());
    }

    /**
     * Relays of VMs no longer running are closed; a running bridged VM gets back every forward it
     * lacks (after a bangerd restart: all of them). A port taken meanwhile is a line, not a failure.
     */
    @Override
    public List<String> reconcile(List<VmRecord> running) {
        List<String> lines = new ArrayList<>();
        Set<String> runningIds = running.stream().map(VmRecord::id).collect(Collectors.toSet());
        for (String id : relays.vmIds()) {
            if (!runningIds.contains(id)) relays.closeAll(id);
        }
        for (VmRecord vm : running) {
            if (!bridged(vm)) continue;
            List<PortForward> open = relays.forwardsOf(vm.id());
            for (PortForward f : vm.spec().portForwards()) {
                if (open.contains(f)) continue;
                try {
                    open(vm, f);
                    lines.add(vm.name() + ": forward " + f + " opened");
                } catch (IOException | RuntimeException e) {
                    lines.add(vm.name() + ": forward " + f + " not opened: " + e.getMessage());
                }
            }
        }
        return lines;
    }

    /** Opens one bridged forward; a busy port is a conflict naming it. */
    void open(VmRecord vm, PortForward f) throws IOException {
        try {
            relays.open(vm.id(), vm.runtime().guestIp(), f);
        } catch (PortBusyException e) {
            throw RpcException.conflict(e.getMessage());
        }
    }

    private static boolean bridged(VmRecord vm) {
        return vm.runtime() != null && vm.runtime().bridged();
    }
}
