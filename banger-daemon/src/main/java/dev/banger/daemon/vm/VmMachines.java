package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import dev.banger.daemon.vmm.Machine;
import java.nio.file.Path;

/** A VM's {@link Machine} rebuilt from what was recorded: the row, or the handles of its last start. */
final class VmMachines {
    private VmMachines() { }

    /** From the row (what reserve recorded). */
    static Machine of(VmRecord vm) {
        return of(vm.id(), vm.runtime().vmDir(), vm.runtime().qmpSocket(), vm.runtime().agentSocket());
    }

    /** From the handles of the VM's last start: the identity its VMM was launched with. */
    static Machine of(VmRecord vm, VmHandles h) {
        return of(vm.id(), vm.runtime().vmDir(), h.qmpSocket(), h.agentSocket());
    }

    private static Machine of(String id, String vmDir, String control, String agent) {
        return new Machine(id, Path.of(vmDir), control == null ? null : Path.of(control), agent == null ? null : Path.of(agent));
    }
}
