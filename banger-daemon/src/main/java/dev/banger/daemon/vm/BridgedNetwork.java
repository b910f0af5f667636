package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import dev.banger.daemon.host.HostOperations;
import dev.banger.roothelper.api.TapInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bridged VM's network, through the host-operations port (the root helper): the bridge checked,
 * the VM's tap created and contributed to the machine (its name is persisted by the start before the
 * VMM opens it), NAT when the VM asked for it, and its {@code <name>.vm} record published once the
 * guest is up. Cleanup needs nothing but the VM id (the helper derives the tap's name from it, and
 * finds the NAT element by it), so it works from any leftover state and never returns early.
 * User-networked VMs are left alone.
 */
public final class BridgedNetwork implements VmFeature {
    private final HostOperations host;
    private final GuestNetworks networks;
    private final DnsPublisher dns;
    /** The tap each VM's prepare created, for its contribute. */
    private final Map<String, String> taps = new ConcurrentHashMap<>();

    public BridgedNetwork(HostOperations host, GuestNetworks networks, DnsPublisher dns) {
        this.host = host;
        this.networks = networks;
        this.dns = dns;
    }

    @Override
    public String name() {
        return "bridge_network";
    }

    @Override
    public void prepare(VmRecord vm) throws IOException {
        if (!vm.runtime().bridged()) return;
        requireTunUsable(TUN);
        GuestNetworks.Subnet subnet = networks.subnet(networks.ensureBridge());
        if (!subnet.contains(vm.runtime().guestIp())) {
            throw new IOException("the bridge's subnet is now " + subnet.cidr() + " but this VM's address is "
                    + vm.runtime().guestIp() + "; recreate the VM or set the helper's subnet back");
        }
        TapInfo tap = host.createTap(vm.id());
        taps.put(vm.id(), tap.name());
        if (vm.spec().nat()) host.enableNat(vm.id(), vm.runtime().guestIp());
    }

    @Override
    public void contribute(VmRecord vm, MachineDraft machine) throws IOException {
        if (!vm.runtime().bridged()) return;
        String tap = taps.get(vm.id());
        if (tap == null) throw new IOException("no tap was prepared for " + vm.name());
        machine.network(machine.network().withTap(tap, mac(vm.id())));
    }

    @Override
    public void postStart(VmRecord vm) throws IOException {
        if (vm.runtime().bridged()) dns.publishIncluding(vm.id());
    }

    @Override
    public void cleanup(VmRecord vm) throws Exception {
        if (!vm.runtime().bridged()) return;
        taps.remove(vm.id());
        List<Exception> errors = new ArrayList<>();
        for (Step step : List.<Step>of(() -> dns.publishExcluding(vm.id()), () -> host.disableNat(vm.id()),
                () -> host.deleteTap(vm.id()))) {
            try {
                step.run();
            } catch (Exception e) {
                errors.add(e);
            }
        }
        Exception joined = Teardown.joined(errors);
        if (joined != null) throw joined;
    }

    /** At bangerd's start: whatever the host holds for VMs that are not running goes, and the records are rebuilt. */
    @Override
    public List<String> reconcile(List<VmRecord> running) throws IOException {
        if (running.stream().noneMatch(v -> v.runtime().bridged()) && !networks.modeForNewVms().equals(dev.banger.core.model.VmRuntime.BRIDGE_NETWORK)) {
            return List.of();
        }
        List<String> lines = new ArrayList<>();
        var result = host.reconcileNetwork(running.stream().filter(v -> v.runtime().bridged()).map(VmRecord::id).toList());
        result.deleted().forEach(d -> lines.add("removed " + d));
        result.errors().forEach(e -> lines.add("could not remove: " + e));
        dns.publishIncluding(null);
        return lines;
    }

    /** The VMM opens its tap through this device as the owner; QEMU's own error would not say what to change. */
    static final java.nio.file.Path TUN = java.nio.file.Path.of("/dev/net/tun");

    static void requireTunUsable(java.nio.file.Path tun) throws IOException {
        if (java.nio.file.Files.isReadable(tun) && java.nio.file.Files.isWritable(tun)) return;
        String mode = java.nio.file.Files.exists(tun)
                ? java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(tun))
                : "missing";
        throw new IOException(tun + " is not usable by this user (" + mode + "); the VMM opens the VM's tap through it. "
                + "Debian's udev makes it rw-rw-rw- (fix: chmod 0666 " + tun + ", or modprobe tun when it is missing)");
    }

    /** Locally administered, unicast, and stable for the VM: {@code 02:} and the id's first five bytes. */
    static String mac(String vmId) {
        StringBuilder mac = new StringBuilder("02");
        for (int i = 0; i < 10; i += 2) mac.append(':').append(vmId, i, i + 2);
        return mac.toString();
    }

    private interface Step {
        void run() throws Exception;
    }
}
