package dev.banger.daemon.vmm;

import dev.banger.core.model.PortForward;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A virtual machine monitor driver: it owns its machine. The layout of a VM's runtime (which
 * sockets and files exist), the root-disk strategy, how its processes are recognised, graceful
 * shutdown and the agent transport are all the driver's; {@code vm/} names none of them, so another
 * driver (Firecracker) slots in beside QEMU without touching the start pipeline or teardown.
 */
public interface Vmm {
    /** Short driver name recorded on the VM ("qemu"). */
    String name();

    /** Where this driver puts one VM's control and agent endpoints (decided at create, recorded on the row). */
    Machine machine(String vmId, Path vmDir, Path runtimeDir);

    /** The path of the VM's writable root disk inside its directory (recorded on the row). */
    Path rootDisk(Path vmDir);

    /**
     * Root-disk strategy: makes {@code rootDisk} over the read-only base image (QEMU: a qcow2 overlay;
     * a raw copy, reflink or dm-snapshot for other drivers), {@code sizeBytes} large as the guest sees
     * it (never smaller than the base; only written blocks may cost host disk). The guest grows its
     * filesystem to the disk at boot. Called only when rootDisk does not exist.
     */
    void createRootDisk(Path baseImage, Path rootDisk, long sizeBytes) throws IOException, InterruptedException;

    /**
     * Grows a stopped VM's root disk to {@code sizeBytes} as the guest sees it (QEMU: {@code qemu-img
     * resize}); the filesystem follows at the next boot. Callers refuse shrinking before asking.
     */
    void resizeRootDisk(Path rootDisk, long sizeBytes) throws IOException, InterruptedException;

    /**
     * Undoes {@link #createRootDisk} when the start that made it fails. A file-backed disk is just
     * deleted; a driver whose root disk is a device (dm-snapshot) tears that down here too.
     */
    default void deleteRootDisk(Path rootDisk) throws IOException {
        java.nio.file.Files.deleteIfExists(rootDisk);
    }

    /** Starts the VMM detached from bangerd (it must survive a daemon crash) and returns its PID. */
    long launch(MachineSpec spec) throws IOException;

    /** The PID the VMM recorded for itself (a pidfile), or 0: after a crash before handles.json it is the only record. */
    long recordedPid(Machine machine);

    /** Every runtime file and socket of the machine that teardown removes (never the disks). */
    List<Path> runtimeFiles(Machine machine);

    /** The process identity of this machine's VMM at {@code pid}: what must be on its command line. */
    VmmProcess process(long pid, Machine machine);

    /** Every live VMM process of this driver under a runtime dir, found by its marker whatever the store says. */
    List<VmmProcesses.Found> processesUnder(Path runtimeDir);

    /** Asks the guest to power off (ACPI). Returns false when the VMM could not be reached. */
    boolean requestPowerdown(Machine machine);

    /** How the guest agent of this machine is reached. */
    AgentEndpoint agentEndpoint(Machine machine);

    /**
     * Binds {@code forward} on the host to {@code guestIp} of a running machine, live (QEMU: user
     * networking's forward added over QMP). A host port that cannot be bound is a {@link PortBusyException}.
     */
    void addPortForward(Machine machine, String guestIp, PortForward forward) throws IOException;

    /** Unbinds a forward of a running machine, live; only its host side (address, port, protocol) counts. */
    void removePortForward(Machine machine, PortForward forward) throws IOException;

    /**
     * TCP connections now open through the machine's user network, in either direction (the SSH
     * forward, port forwards, the guest's own), for the idle stop; empty when the driver cannot tell
     * (a machine without a user network: a bridged guest's connections do not pass through the VMM).
     */
    default java.util.OptionalInt openConnections(Machine machine) throws IOException {
        return java.util.OptionalInt.empty();
    }

    /** After a bangerd restart: resume copying a running VM's console into consoleLog. */
    default void reattachConsole(Machine machine, Path consoleLog) { }
}
