package dev.banger.daemon.vm;

import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.vmm.Accel;
import java.nio.file.Path;

/** Mutable state threaded through one start; steps record what they acquired so undo knows. */
final class StartContext {
    private VmRecord vm;
    final ImageRecord image;
    final KernelEntry kernel;
    final Path vmDir;
    boolean overlayCreated;
    boolean workDiskCreated;
    boolean initrdWritten;
    long pid;
    int sshPort;
    Accel accel;

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

    Path overlay() {
        return Path.of(vm.runtime().overlayPath());
    }

    Path workDisk() {
        return Path.of(vm.runtime().workDiskPath());
    }

    Path initrd() {
        return Path.of(vm.runtime().initrdPath());
    }

    Path qmpSocket() {
        return Path.of(vm.runtime().qmpSocket());
    }

    Path agentSocket() {
        return Path.of(vm.runtime().agentSocket());
    }

    Path pidFile() {
        return vmDir.resolve("qemu.pid");
    }
}
