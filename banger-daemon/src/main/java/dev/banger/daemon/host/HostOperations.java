package dev.banger.daemon.host;

import dev.banger.daemon.vmm.MachineSpec;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The host-operations port: every operation on the host that may need privilege once banger
 * has its root helper (taps, bridge, nftables, loop devices and device-mapper will go here too, as
 * methods of their own when they exist). {@link InProcessHostOperations} runs them in bangerd as
 * the owner user, which is all rootless mode needs; a root-helper client will implement the same
 * interface. Teardown and the start steps reach the host only through it, so tests can record the
 * order of operations and make any one of them fail.
 */
public interface HostOperations {
    /** Starts a VMM with its driver; returns its PID. */
    long launchVmm(Vmm driver, MachineSpec spec) throws IOException;

    /** SIGKILL the process if it is still ours (its marker on its command line); true once it is gone. */
    boolean killVmm(VmmProcess process) throws InterruptedException;

    /** SIGTERM, wait up to {@code grace}, then SIGKILL; true once it is gone. Never signals a PID that is not ours. */
    boolean terminateVmm(VmmProcess process, Duration grace) throws InterruptedException;

    /** Removes one runtime file or socket of a VM; a missing one is not an error. */
    void removeRuntimeFile(Path path) throws IOException;

    /** Deletes a VM's directory and everything in it (its disks included); a missing one is not an error. */
    void deleteVmDir(Path vmDir) throws IOException;
}
