package dev.banger.daemon.vmm;

import java.nio.file.Path;

/**
 * A driver-neutral description of the machine to boot: what the start pipeline decided. The driver
 * turns it into its own launch (QEMU: a {@link LaunchSpec} with its disk format and pidfile).
 */
public record MachineSpec(Machine machine, Path kernel, Path initrd, Path rootDisk, Path workDisk, Path consoleLog,
                          int vcpu, int memoryMib, LaunchSpec.Network network, Accel accel) { }
