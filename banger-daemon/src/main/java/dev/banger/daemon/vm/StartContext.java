package dev.banger.daemon.vm;

import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.vmm.Accel;
import dev.banger.daemon.vmm.Machine;
import java.nio.file.Path;

/** Mutable state threaded through one start; steps record what they acquired so undo knows. */
final class StartContext {
    private VmRecord vm;
    final ImageRecord image;
    final KernelEntry kernel;
    final Path vmDir;
    boolean rootDiskCreated;
    boolean workDiskCreated;
    boolean initrdWritten;
    long pid;
    Accel accel;
    /** What the features contributed (host_features), read by the launch. */
    MachineDraft machineDraft;

    StartContext(VmRecord vm, ImageRecord image, KernelEntry kernel) {
        this.vm = vm;
        this.image = image;
        this.kernel = kernel;
        this.vmDir = Path.of(vm.runtime().vmDir());
    }

    VmRecord vm() {
        return vm;
    }

    void vm(VmRecord updated) {
        this.vm = updated;
    }

    /** The machine as the row records it: sockets and VM dir, laid out by the driver at create. */
    Machine machine() {
        return VmMachines.of(vm);
    }

    Path rootDisk() {
        return Path.of(vm.runtime().overlayPath());
    }

    Path workDisk() {
        return Path.of(vm.runtime().workDiskPath());
    }

    Path initrd() {
        return Path.of(vm.runtime().initrdPath());
    }
}
