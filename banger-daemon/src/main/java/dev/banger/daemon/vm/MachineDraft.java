package dev.banger.daemon.vm;

import dev.banger.daemon.vmm.LaunchSpec;

/**
 * The parts of the machine that features contribute to, collected before the launch. Today that is
 * the network (the SSH forward's host port lives in it); a new kind of contribution gets a field here
 * and its place in {@link dev.banger.daemon.vmm.MachineSpec}.
 */
public final class MachineDraft {
    private LaunchSpec.Network network;

    MachineDraft(LaunchSpec.Network network) {
        this.network = network;
    }

    public LaunchSpec.Network network() {
        return network;
    }

    public void network(LaunchSpec.Network updated) {
        this.network = updated;
    }
}
