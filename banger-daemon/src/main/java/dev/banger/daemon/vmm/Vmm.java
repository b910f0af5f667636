package dev.banger.daemon.vmm;

import java.io.IOException;

/**
 * A virtual machine monitor driver. The start pipeline talks only to this interface, so a
 * firecracker driver can slot in beside QEMU without touching the pipeline.
 */
public interface Vmm {
    /** Short driver name recorded on the VM ("qemu"). */
    String name();

    /** Starts the VMM detached from bangerd (it must survive a daemon crash) and returns its PID. */
    long launch(LaunchSpec spec) throws IOException;

    /** Asks the guest to power off (ACPI). Returns false when the VMM could not be reached. */
    boolean requestPowerdown(LaunchSpec.Sockets sockets);

    /** True when {@code pid} is alive and is this VM's VMM (not a recycled PID). */
    boolean isOurs(long pid, LaunchSpec.Sockets sockets);

    /** After a bangerd restart: resume copying a running VM's console into consoleLog. */
    default void reattachConsole(String vmId, LaunchSpec.Sockets sockets, java.nio.file.Path consoleLog) { }
}
