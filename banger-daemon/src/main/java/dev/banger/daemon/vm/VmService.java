package dev.banger.daemon.vm;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.boot.VmInitrd;
import dev.banger.daemon.host.HostOperations;
import dev.banger.daemon.image.Images;
import dev.banger.daemon.image.seed.SshKeys;
import dev.banger.daemon.image.seed.WorkSeeds;
import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vmm.AccelSelector;
import dev.banger.daemon.vmm.AgentEndpoint;
import dev.banger.daemon.vmm.Vmm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * VM lifecycle: every {@code banger vm} verb ends up in one public method here. This class only
 * orchestrates; the jobs are {@link VmCreator} (validate, reserve), {@link StartSteps} run by
 * {@link StartPipeline}, {@link VmStopper} (stop, kill, rm, prune), {@link Teardown} and
 * {@link Reconciler} (reconcile, orphan VMMs, exit watcher).
 */
public final class VmService {
    private final Store store;
    private final Images images;
    private final Vmm vmm;
    private final VmLocks locks = new VmLocks();
    private final VmRows rows;
    private final VmCreator creator;
    private final StartSteps startSteps;
    private final StartPipeline pipeline;
    private final Teardown teardown;
    private final VmStopper stopper;
    private final VmActivity activity = new VmActivity(java.time.Clock.systemUTC());
    private final Reconciler reconciler;
    private final GuestAgents agents;
    private final VmPortService ports;
    private final Features features;
    private final VmResizer resizer;
    private final long defaultIdleStopSeconds;

    /**
     * {@code host}: every host operation goes through it; {@code features}: the registered VM features,
     * in the order their prepare/contribute/postStart run (cleanup runs in reverse).
     */
    public VmService(Path vmsDir, Path runtimeDir, DaemonConfig config, Store store, Images images, Vmm vmm,
                     AccelSelector accelSelector, VmInitrd initrdBuilder, GuestAgents agents, WorkSeeds workSeeds,
                     SshKeys sshKeys, String faultAfterStep, CrashPoints crashPoints, HostOperations host,
                     List<VmFeature> features, GuestNetworks networks) {
        this.store = store;
        this.defaultIdleStopSeconds = config.idleStop().defaultSeconds();
        this.images = images;
        this.vmm = vmm;
        this.agents = agents;
        this.rows = new VmRows(store);
        HandleStore handles = new HandleStore();
        Features registered = new Features(features);
        this.features = registered;
        this.teardown = new Teardown(vmm, host, agents, handles, registered);
        this.ports = new VmPortService(rows, locks, teardown, vmm, registered.portForwards(), HostPorts.ofThisProcess());
        this.creator = new VmCreator(vmsDir, runtimeDir, config, store, images, vmm, locks, ports, networks);
        this.startSteps = new StartSteps(new StartSteps.Parts(runtimeDir, config, rows, vmm, host, accelSelector,
                initrdBuilder, agents, workSeeds, sshKeys, handles, teardown, registered, crashPoints, networks));
        this.pipeline = new StartPipeline(faultAfterStep, crashPoints);
        this.stopper = new VmStopper(rows, locks, teardown, vmm, agents);
        this.reconciler = new Reconciler(runtimeDir, rows, locks, handles, teardown, vmm, host);
        this.resizer = new VmResizer(vmm, rows);
    }


    /**
     * Three phases (seed 000): validate and resolve the image with no lock held; reserve name,
     * IP and row under the narrow reservation lock; boot under the VM's own lock only.
     */
    public VmRecord create(dev.banger.core.api.VmCreateParams req, ProgressSink progress) throws Exception {
        long idleStopSeconds = idleStopSeconds(req.idleStop());
        VmCreator.Validated validated = creator.withNetworkOptions(creator.validate(req.name(), req.vcpu(), req.memoryMib(),
                req.diskSize(), req.portForwards(), req.rootSize()), req.nat());
        VmCreator.Validated asked = new VmCreator.Validated(validated.name(),
                validated.spec().withIdleStopSeconds(idleStopSeconds), validated.rootSizeGiven());
        // A busy host port refuses the create before any VM exists (the start checks again, as every start does).
        if (!req.noStart()) ports.checkFree(asked.spec().portForwards());
        ImageRecord image = creator.resolveImage(req.image(), progress);
        VmCreator.Validated request = creator.fitRoot(asked, image);
        VmCreator.Reservation reserved = creator.reserve(request, image);
        VmRecord vm = reserved.vm();
        progress.report("reserve_vm", "allocated " + vm.name() + " (" + vm.runtime().guestIp() + ")");

        try (AutoCloseable ignored = reserved.lock()) {
            if (req.noStart()) {
                vm = vm.withState(VmState.STOPPED);
                store.upsertVm(vm);
                return vm;
            }
            try {
                return startLocked(vm, image, progress);
            } catch (Exception startFailure) {
                if (req.removeOnFailure()) removeAfterFailedStart(vm, startFailure);
                throw startFailure;
            }
        }
    }

    private void removeAfterFailedStart(VmRecord vm, Exception startFailure) {
        boolean interrupted = Thread.interrupted();
        try {
            Exception cleanup = teardown.collect(rows.reload(vm.id()), false, true);
            if (cleanup != null) {
                startFailure.addSuppressed(cleanup);
            } else {
                store.deleteVm(vm.id());
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    public VmRecord start(String ref, ProgressSink progress) throws Exception {
        VmRecord found = find(ref);
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            VmRecord vm = rows.reload(found.id());
            if (vm.state() == VmState.RUNNING && teardown.isAlive(vm)) return vm;
            ImageRecord image = store.imageById(vm.imageId())
                    .orElseThrow(() -> RpcException.notFound("image of vm " + vm.name() + " no longer exists"));
            return startLocked(vm, image, progress);
        }
    }

    private VmRecord startLocked(VmRecord vm, ImageRecord image, ProgressSink progress) throws Exception {
        KernelEntry kernel = images.kernelFor(image, progress);
        // Disk ahead of memory: a crash from here on leaves a row that reconcile knows to check.
        VmRecord starting = vm.withState(VmState.STARTING);
        store.upsertVm(starting);
        StartContext ctx = new StartContext(starting, image, kernel);
        try {
            // Whichever step failed, the rollback ends with every feature's cleanup (idempotent).
            pipeline.run(startSteps.steps(), StartStep.of("features", null, null, c -> { })
                    .withUndo(startSteps::cleanupFeatures), ctx, progress);
        } catch (Exception e) {
            String message = e instanceof InterruptedException || Thread.currentThread().isInterrupted()
                    ? "start cancelled: the caller disconnected; rolled back" + suppressedText(e)
                    : describe(e);
            rows.markFailed(vm.id(), message);
            if (e instanceof InterruptedException) throw e;
            // A refusal in the current state (a busy host port) stays a conflict; anything else failed.
            int code = e instanceof RpcException r && r.code() == RpcErrors.CONFLICT ? RpcErrors.CONFLICT : RpcErrors.FAILED;
            throw new RpcException(code, "start " + vm.name() + ": " + message, e);
        }
        reconciler.watchForExit(ctx.vm());
        return ctx.vm();
    }

    private static String describe(Exception e) {
        return (e.getMessage() == null ? e.toString() : e.getMessage()) + suppressedText(e);
    }

    private static String suppressedText(Exception e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable s : e.getSuppressed()) sb.append("; ").append(s.getMessage());
        return sb.toString();
    }

    public VmRecord stop(String ref, Duration timeout) throws Exception {
        return stopper.stop(ref, timeout);
    }

    public VmRecord kill(String ref) throws Exception {
        return stopper.kill(ref);
    }

    public VmRecord restart(String ref, Duration timeout, ProgressSink progress) throws Exception {
        stop(ref, timeout);
        return start(ref, progress);
    }

    public VmRecord remove(String ref, boolean force) throws Exception {
        return stopper.remove(ref, force);
    }

    /** Removes every VM that is not running. Returns what was removed. */
    public List<VmRecord> prune() throws Exception {
        return stopper.prune();
    }

    /**
     * After a bangerd restart: every VM the store says is running is checked against reality.
     * Alive ones get their handles and watcher back; dead ones are cleaned with the persisted
     * identity and marked stopped. Nothing is deleted.
     */
    public List<String> reconcile() {
        List<String> report = new java.util.ArrayList<>(reconciler.reconcile());
        report.addAll(features.reconcile(store.listVms().stream().filter(vm -> vm.state() == VmState.RUNNING).toList()));
        return report;
    }

    /** On the daemon's way out: its exit watchers stop, so its running VMs are left for the next daemon to adopt. */
    public void stopWatching() {
        reconciler.stopWatching();
    }

    public List<VmRecord> list() {
        return store.listVms();
    }

    /** Work on a VM's disks that must not race a boot: runs under the VM's lock, refused while it runs. */
    public <T> T whileStopped(String ref, StoppedVmWork<T> work) throws Exception {
        VmRecord found = find(ref);
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            VmRecord vm = rows.reload(found.id());
            if (vm.state() == VmState.RUNNING && teardown.isAlive(vm)) {
                throw RpcException.conflict("vm " + vm.name() + " is running; stop it first");
            }
            return work.run(vm);
        }
    }

    @FunctionalInterface
    public interface StoppedVmWork<T> {
        T run(VmRecord vm) throws Exception;
    }

    /** By exact name, then exact id, then unique id prefix. */
    public VmRecord find(String ref) {
        return rows.find(ref);
    }

    public VmRecord requireRunning(String ref) {
        VmRecord vm = find(ref);
        if (vm.state() != VmState.RUNNING || !teardown.isAlive(vm)) {
            throw RpcException.conflict("vm " + vm.name() + " is not running (state " + vm.state().wire() + ")");
        }
        return vm;
    }

    /**
     * {@code vm resize}: grows a stopped VM's root and/or work disk (null: leave it). Sizes are checked
     * before the lock; a running VM is a conflict; shrinking is invalid input, with the reason.
     */
    public VmRecord resize(String ref, String rootSize, String diskSize) throws Exception {
        boolean noRoot = rootSize == null || rootSize.isBlank();
        boolean noWork = diskSize == null || diskSize.isBlank();
        if (noRoot && noWork) throw RpcException.invalid("nothing to resize: give a root size, a disk size or both");
        Long rootBytes = noRoot ? null : DiskSizes.parse("root size", rootSize);
        Long workBytes = noWork ? null : DiskSizes.parse("disk size", diskSize);
        return whileStopped(ref, vm -> {
            ImageRecord image = rootBytes == null ? null : store.imageById(vm.imageId())
                    .orElseThrow(() -> RpcException.notFound("image of vm " + vm.name() + " no longer exists"));
            return resizer.resize(vm, image, rootBytes, workBytes);
        });
    }

    /** --idle-stop: null takes the configured default (idle_stop, off unless set); bad text is invalid input. */
    private long idleStopSeconds(String text) {
        if (text == null) return defaultIdleStopSeconds;
        try {
            return dev.banger.core.model.Durations.parseSeconds(text);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid("--idle-stop: " + e.getMessage());
        }
    }

    /**
     * {@code vm show}: the stored VM, plus, for a running VM with an idle stop, when the poller will
     * stop it if nothing happens ({@code runtime.idle_stop_at}; absent until its first poll).
     */
    public VmRecord show(String ref) {
        VmRecord vm = find(ref);
        if (vm.state() != VmState.RUNNING || vm.runtime() == null) return vm;
        return activity.stopAt(vm.id())
                .map(at -> new VmRecord(vm.id(), vm.name(), vm.imageId(), vm.state(), vm.createdAt(), vm.updatedAt(), vm.spec(),
                        vm.runtime().withIdleStopAt(at.toString())))
                .orElse(vm);
    }

    /** The exec sessions seen and the idle-stop times published, shared by VmExec and IdleStops. */
    VmActivity activity() {
        return activity;
    }

    /** The running VM's open TCP connections through its user network (empty: the driver cannot tell). */
    java.util.OptionalInt openConnections(VmRecord vm) throws java.io.IOException {
        return vmm.openConnections(VmMachines.of(vm));
    }

    /** The idle stop: the normal stop, with {@code reason} as last_error, unless {@code stillIdle} says otherwise under the lock. */
    boolean stopIfIdle(String id, Duration timeout, String reason, java.util.function.Predicate<VmRecord> stillIdle) throws Exception {
        return stopper.stop(id, timeout, reason, stillIdle).map(vm -> vm.state() == VmState.STOPPED).orElse(false);
    }

    /** {@code vm port add|rm|ls}. */
    public VmPortService ports() {
        return ports;
    }

    /** The running VM's VMM process (PID and the marker that proves it ours), for VmStats's CPU sample. */
    java.util.Optional<dev.banger.daemon.vmm.VmmProcess> vmmProcess(VmRecord vm) {
        return teardown.currentHandles(vm).filter(h -> h.pid() > 0).map(h -> teardown.process(vm, h));
    }

    /** The agent connections VmStats runs its one guest command through. */
    GuestAgents agents() {
        return agents;
    }

    /** How VmExec reaches this VM's guest agent: the driver's transport. */
    AgentEndpoint agentEndpoint(VmRecord vm) {
        return vmm.agentEndpoint(VmMachines.of(vm));
    }
}
