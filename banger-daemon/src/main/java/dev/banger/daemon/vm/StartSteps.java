package dev.banger.daemon.vm;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.boot.GuestBootConfig;
import dev.banger.daemon.boot.VmInitrd;
import dev.banger.daemon.host.HostOperations;
import dev.banger.daemon.image.seed.SshKeys;
import dev.banger.daemon.image.seed.WorkDisks;
import dev.banger.daemon.image.seed.WorkSeeds;
import dev.banger.daemon.vmm.AccelSelector;
import dev.banger.daemon.vmm.ConsoleLog;
import dev.banger.daemon.vmm.LaunchSpec;
import dev.banger.daemon.vmm.Machine;
import dev.banger.daemon.vmm.MachineSpec;
import dev.banger.daemon.vmm.Vmm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The start steps, in order (docs/architecture.md, "The start pipeline"). Their names and progress
 * stages are an interface: BANGER_FAULT_AFTER_STEP and BANGER_CRASH_AFTER name them, and the docs
 * list them. The registered features run inside {@code host_features} and {@code wait_agent}.
 */
final class StartSteps {
    /** The guest user is root; its home is the work disk. */
    static final String GUEST_HOME = "/root";

    /** What the steps act on; one instance per daemon. */
    record Parts(Path runtimeDir, DaemonConfig config, VmRows rows, Vmm vmm, HostOperations host, AccelSelector accelSelector,
                 VmInitrd initrdBuilder, GuestAgents agents, WorkSeeds workSeeds, SshKeys sshKeys, HandleStore handles,
                 Teardown teardown, Features features, CrashPoints crashPoints, GuestNetworks networks) { }

    private final Parts p;

    StartSteps(Parts parts) {
        this.p = parts;
    }

    List<StartStep> steps() {
        return List.of(
                StartStep.of("preflight", "preflight", "checking host prerequisites", this::preflight),
                StartStep.of("cleanup_runtime", null, null, c -> {
                    p.teardown().run(c.vm(), true, false);
                    c.vm(p.rows().reload(c.vm().id()));
                }),
                StartStep.of("prepare_sockets", null, null, c -> {
                    for (Path file : p.vmm().runtimeFiles(c.machine())) p.host().removeRuntimeFile(file);
                }),
                StartStep.of("system_overlay", "prepare_rootfs", "creating copy-on-write root overlay", this::createRootDisk)
                        .withUndo(c -> {
                            if (c.rootDiskCreated) p.vmm().deleteRootDisk(c.rootDisk());
                        }),
                StartStep.of("work_disk", "prepare_rootfs", "preparing work disk", this::createWorkDisk)
                        .withUndo(c -> {
                            if (c.workDiskCreated) Files.deleteIfExists(c.workDisk());
                        }),
                StartStep.of("guest_config", "prepare_rootfs", "writing guest configuration", this::writeInitrd)
                        .withUndo(c -> {
                            if (c.initrdWritten) Files.deleteIfExists(c.initrd());
                        }),
                // Feature cleanup is not this step's undo: it runs on the rollback of every failed start (see VmService).
                StartStep.of("host_features", "prepare_host_features", "preparing host networking", c -> {
                    c.machineDraft = new MachineDraft(network(c.vm()));
                    p.features().prepareAndContribute(c.vm(), c.machineDraft);
                    recordTap(c);
                }),
                StartStep.of("vmm_launch", "boot_firecracker", "starting " + p.vmm().name(), this::launch)
                        .withUndo(this::undoLaunch),
                StartStep.of("wait_agent", "wait_vsock_agent", "waiting for the guest agent", c -> {
                    waitForAgent(c);
                    p.features().postStart(c.vm());
                }).withUndo(c -> p.agents().disconnect(c.vm().id())),
                StartStep.of("persist", "finalize", "saving vm state", c -> {
                    VmRecord running = c.vm().withState(VmState.RUNNING);
                    p.rows().store().upsertVm(running);
                    c.vm(running);
                }));
    }

    /** Every feature's cleanup, errors joined: the last act of a failed start's rollback. */
    void cleanupFeatures(StartContext c) throws Exception {
        Exception e = Teardown.joined(p.features().cleanup(c.vm()));
        if (e != null) throw e;
    }

    private LaunchSpec.Network network(VmRecord vm) throws IOException {
        GuestNetworks.Subnet subnet = p.networks().of(vm);
        return new LaunchSpec.Network(subnet.cidr(), subnet.gateway(), subnet.dns(), vm.runtime().guestIp(),
                p.config().subnetPrefixLength(), 0);
    }

    /**
     * A tap the features contributed is teardown identity before the VMM has opened it (seeds 001,
     * 004): handles.json first, then the row. Cleanup itself needs only the VM id, but the record says
     * what exists on the host while the start is in flight.
     */
    private void recordTap(StartContext c) throws IOException {
        String tap = c.machineDraft.network().tap();
        if (tap == null) return;
        Machine machine = c.machine();
        p.handles().set(c.vm().id(), c.vmDir, new VmHandles(0, p.vmm().name(), machine.controlSocket().toString(),
                machine.agentSocket().toString(), tap));
        VmRecord withTap = c.vm().withRuntime(c.vm().runtime().withTap(tap));
        p.rows().store().upsertVm(withTap);
        c.vm(withTap);
    }

    private void preflight(StartContext c) throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        if (!Files.isReadable(c.kernel.vmlinux())) missing.add("kernel " + c.kernel.vmlinux());
        if (!Files.isReadable(c.kernel.initrd())) missing.add("initramfs " + c.kernel.initrd());
        if (!Files.isReadable(Path.of(c.image.rootfsPath()))) missing.add("root image " + c.image.rootfsPath());
        if (!Files.isExecutable(p.config().agentBinary())) missing.add("guest agent " + p.config().agentBinary());
        if (!missing.isEmpty()) throw new IOException("missing " + String.join(", ", missing));
        Files.createDirectories(c.vmDir);
        Files.createDirectories(p.runtimeDir());
        c.accel = p.accelSelector().select(c.kernel);
    }

    /**
     * The driver's root-disk strategy over the read-only base, the VM's root size large (the guest
     * grows its filesystem to it at boot); kept across stop/start.
     */
    private void createRootDisk(StartContext c) throws IOException, InterruptedException {
        if (Files.exists(c.rootDisk())) return;
        c.rootDiskCreated = true;
        p.vmm().createRootDisk(Path.of(c.image.rootfsPath()), c.rootDisk(), DiskSizes.rootBytes(c.vm().spec(), c.image));
    }

    /**
     * A new VM's work disk is a copy of its image's work seed (home skeleton + authorized_keys),
     * grown to the requested size. The seed is refreshed first when the SSH keys changed; the
     * refresh replaces it by rename, so a copy running in parallel never reads a torn seed (seed 002).
     */
    private void createWorkDisk(StartContext c) throws IOException, InterruptedException {
        if (Files.exists(c.workDisk())) return;
        Path imageRootfs = Path.of(c.image.rootfsPath());
        Path seed = p.workSeeds().ensure(imageRootfs.getParent(), imageRootfs, GUEST_HOME, p.sshKeys(), ProgressSink.NONE);
        c.workDiskCreated = true;
        WorkDisks.materialise(seed, c.workDisk(), Math.max(c.vm().spec().workDiskBytes(), Files.size(seed)));
    }

    private void writeInitrd(StartContext c) throws IOException {
        VmRecord vm = c.vm();
        DaemonConfig config = p.config();
        GuestNetworks.Subnet subnet = p.networks().of(vm);
        GuestBootConfig boot = new GuestBootConfig(vm.name(), vm.runtime().guestIp(), config.subnetPrefixLength(),
                subnet.gateway(), subnet.dns(), GUEST_HOME, true);
        c.initrdWritten = true;
        p.initrdBuilder().build(c.kernel.initrd(), boot, c.initrd());
    }

    private void launch(StartContext c) throws Exception {
        VmRecord vm = c.vm();
        Machine machine = c.machine();
        Path consoleLog = Path.of(vm.runtime().consoleLog());
        MachineSpec spec = new MachineSpec(machine, c.kernel.vmlinux(), c.initrd(), c.rootDisk(), c.workDisk(), consoleLog,
                vm.spec().vcpu(), vm.spec().memoryMib(), c.machineDraft.network(), c.accel);
        Files.deleteIfExists(consoleLog);
        try {
            c.pid = p.host().launchVmm(p.vmm(), spec);
        } finally {
            // Even when launch failed half-way the VMM may have recorded itself; keep its PID so undo can kill it.
            if (c.pid <= 0) c.pid = p.vmm().recordedPid(machine);
        }
        p.crashPoints().reached(CrashPoints.VMM_STARTED);
        VmHandles h = new VmHandles(c.pid, p.vmm().name(), machine.controlSocket().toString(), machine.agentSocket().toString(),
                c.machineDraft.network().tap());
        p.handles().set(vm.id(), c.vmDir, h);  // disk (handles.json) first, then the cache
        VmRecord withProcess = vm.withRuntime(vm.runtime().withLastError(null)
                .withProcess(c.pid, p.vmm().name(), c.accel.wire(), c.machineDraft.network().sshPort(), Instant.now().toString()));
        p.rows().store().upsertVm(withProcess);       // teardown identity mirrored on the durable row
        c.vm(withProcess);
    }

    /** The VMM that this start launched (the PID the step kept, else the one it recorded itself) ends, as in a teardown. */
    private void undoLaunch(StartContext c) throws Exception {
        Machine machine = c.machine();
        long pid = c.pid > 0 ? c.pid : p.vmm().recordedPid(machine);
        Exception e = Teardown.joined(p.teardown().endVmm(c.vm().id(), machine, machine, pid > 0 ? List.of(pid) : List.of(), true, c.vmDir));
        if (e != null) throw e;
    }

    private void waitForAgent(StartContext c) throws Exception {
        Duration timeout = Duration.ofSeconds(p.config().agentReadyTimeoutSeconds());
        long deadline = System.nanoTime() + timeout.toNanos();
        Machine machine = c.machine();
        p.agents().awaitReady(c.vm().id(), p.vmm().agentEndpoint(machine), deadline, () -> {
            if (!p.vmm().process(c.pid, machine).alive()) {
                throw new IOException("vm exited during boot: " + consoleTail(c.vm()));
            }
        });
    }

    static String consoleTail(VmRecord vm) {
        try {
            // The last 64 KiB (read from the end, never the whole capped log) hold the boot's last words.
            List<String> lines = ConsoleLog.tail(Path.of(vm.runtime().consoleLog()), 64 << 10).lines().toList();
            if (lines.isEmpty() && !Files.exists(Path.of(vm.runtime().consoleLog()))) return "(no console log)";
            return lines.stream().filter(l -> l.contains("BANGER-BOOT-ERROR") || l.contains("Kernel panic"))
                    .findFirst().orElse(lines.isEmpty() ? "(console empty)" : lines.getLast().strip());
        } catch (IOException e) {
            return "(no console log)";
        }
    }
}
