package dev.banger.daemon.vm;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.Names;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmSpec;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.boot.GuestBootConfig;
import dev.banger.daemon.boot.VmInitrd;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.host.HostCommand;
import dev.banger.daemon.image.Images;
import dev.banger.daemon.image.seed.SshKeys;
import dev.banger.daemon.image.seed.WorkDisks;
import dev.banger.daemon.image.seed.WorkSeeds;
import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vmm.Accel;
import dev.banger.daemon.vmm.AccelSelector;
import dev.banger.daemon.vmm.LaunchSpec;
import dev.banger.daemon.vmm.ProcessIdentity;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcesses;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** VM lifecycle: every {@code banger vm} verb ends up in one public method here. */
public final class VmService {
    private static final Logger LOG = LoggerFactory.getLogger(VmService.class);
    /** The guest user is root; its home is the work disk. */
    static final String GUEST_HOME = "/root";

    private final Path vmsDir;
    private final Path runtimeDir;
    private final DaemonConfig config;
    private final Store store;
    private final Images images;
    private final Vmm vmm;
    private final AccelSelector accelSelector;
    private final VmInitrd initrdBuilder;
    private final GuestAgents agents;
    private final WorkSeeds workSeeds;
    private final SshKeys sshKeys;
    private final StartPipeline pipeline;
    private final CrashPoints crashPoints;
    private final VmLocks locks = new VmLocks();
    private final HandleStore handles = new HandleStore();
    private final VmmProcesses vmmProcesses = new VmmProcesses();
    /** The thread of each graceful stop now waiting on its guest, by VM id. */
    private final java.util.Map<String, StopInProgress> stopsInProgress = new java.util.concurrent.ConcurrentHashMap<>();
    /** Written by the VMM itself (QEMU's -pidfile) once it has daemonized. */
    private static final String PID_FILE = "qemu.pid";

    public VmService(Path vmsDir, Path runtimeDir, DaemonConfig config, Store store, Images images, Vmm vmm,
                     AccelSelector accelSelector, VmInitrd initrdBuilder, GuestAgents agents, WorkSeeds workSeeds,
                     SshKeys sshKeys, String faultAfterStep, CrashPoints crashPoints) {
        this.vmsDir = vmsDir;
        this.workSeeds = workSeeds;
        this.sshKeys = sshKeys;
        this.runtimeDir = runtimeDir;
        this.config = config;
        this.store = store;
        this.images = images;
        this.vmm = vmm;
        this.accelSelector = accelSelector;
        this.initrdBuilder = initrdBuilder;
        this.agents = agents;
        this.crashPoints = crashPoints;
        this.pipeline = new StartPipeline(faultAfterStep, crashPoints);
    }

    // ---------------------------------------------------------------- create

    /**
     * Three phases (seed 000): validate and resolve the image with no lock held; reserve name,
     * IP and row under the narrow reservation lock; boot under the VM's own lock only.
     */
    public VmRecord create(dev.banger.core.api.VmCreateParams req, ProgressSink progress) throws Exception {
        if (req.vcpu() != null && req.vcpu() <= 0) throw RpcException.invalid("vcpu must be a positive integer");
        if (req.memoryMib() != null && req.memoryMib() <= 0) throw RpcException.invalid("memory must be a positive integer");
        long diskBytes = req.diskSize() == null || req.diskSize().isBlank()
                ? VmSpec.DEFAULT_WORK_DISK_BYTES : parseSize(req.diskSize());
        String requestedName = req.name() == null ? "" : req.name().strip();
        if (!requestedName.isEmpty()) {
            try {
                Names.validateVmName(requestedName);
            } catch (IllegalArgumentException e) {
                throw RpcException.invalid(e.getMessage());
            }
        }
        VmSpec spec = new VmSpec(req.vcpu() == null ? config.defaultVcpu() : req.vcpu(),
                req.memoryMib() == null ? config.defaultMemoryMib() : req.memoryMib(), diskBytes);

        String imageName = req.image() == null || req.image().isBlank() ? config.defaultImage() : req.image();
        progress.report("resolve_image", "resolving image " + imageName);
        ImageRecord image = images.resolve(imageName, progress);
        progress.report("resolve_image", "using image " + image.name());

        Reservation reserved = reserve(requestedName, image, spec);
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
            Exception cleanup = cleanupRuntimeCollect(reload(vm.id()), false, true);
            if (cleanup != null) {
                startFailure.addSuppressed(cleanup);
            } else {
                store.deleteVm(vm.id());
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private static long parseSize(String text) {
        try {
            return dev.banger.core.model.Sizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid(e.getMessage());
        }
    }

    /** A reserved VM and its lock, already held: nothing (a prune, an rm) can act on the row before create does. */
    private record Reservation(VmRecord vm, VmLocks.Held lock) { }

    private Reservation reserve(String requestedName, ImageRecord image, VmSpec spec) throws IOException, InterruptedException {
        locks.reservation.lockInterruptibly();
        try {
            String name = requestedName.isEmpty() ? uniqueGeneratedName() : requestedName;
            // Exact match: a new name that merely prefixes another VM's id or name is fine.
            if (store.vmByName(name).isPresent()) throw RpcException.conflict("vm name already exists: " + name);
            String id = Names.newId();
            String ip = nextGuestIp();
            Path vmDir = vmsDir.resolve(id);
            Files.createDirectories(vmDir);
            Instant now = Instant.now();
            VmRuntime runtime = new VmRuntime(ip, name + ".vm", vmDir.toString(),
                    vmDir.resolve("root.qcow2").toString(), vmDir.resolve("work.ext4").toString(),
                    vmDir.resolve("vm-initrd.img").toString(), vmDir.resolve("console.log").toString(),
                    runtimeDir.resolve(id + ".qmp").toString(), runtimeDir.resolve(id + ".agent").toString(),
                    null, null, null, null, null, null);
            VmRecord vm = new VmRecord(id, name, image.id(), VmState.CREATED, now, now, spec, runtime);
            // The id is new, so this lock is free; taking it before the row exists closes the window in
            // which a concurrent prune could remove a VM that is still being created.
            VmLocks.Held vmLock = locks.lockVm(id);
            try {
                store.upsertVm(vm);
            } catch (RuntimeException e) {
                vmLock.close();
                throw e;
            }
            return new Reservation(vm, vmLock);
        } finally {
            locks.reservation.unlock();
        }
    }

    private String uniqueGeneratedName() {
        for (int i = 0; i < 50; i++) {
            String candidate = Names.generateVmName();
            if (store.vmByName(candidate).isEmpty()) return candidate;
        }
        return "vm-" + Names.newId().substring(0, 8);
    }

    private String nextGuestIp() {
        Set<String> used = store.usedGuestIps();
        String prefix = config.subnetPrefix();
        for (int host = 10; host < 255; host++) {
            String ip = prefix + "." + host;
            if (!used.contains(ip)) return ip;
        }
        throw RpcException.conflict("no free guest address left in " + config.subnet());
    }

    // ---------------------------------------------------------------- start

    public VmRecord start(String ref, ProgressSink progress) throws Exception {
        VmRecord found = find(ref);
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            VmRecord vm = reload(found.id());
            if (vm.state() == VmState.RUNNING && isAlive(vm)) return vm;
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
            pipeline.run(startSteps(), ctx, progress);
        } catch (Exception e) {
            String message = e instanceof InterruptedException || Thread.currentThread().isInterrupted()
                    ? "start cancelled: the caller disconnected; rolled back" + suppressedText(e)
                    : describe(e);
            VmRecord failed = reload(vm.id());
            store.upsertVm(new VmRecord(failed.id(), failed.name(), failed.imageId(), VmState.ERROR,
                    failed.createdAt(), Instant.now(), failed.spec(), failed.runtime().stopped().withLastError(message)));
            if (e instanceof InterruptedException) throw e;
            throw new RpcException(RpcErrors.FAILED, "start " + vm.name() + ": " + message, e);
        }
        watchForExit(ctx.vm());
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

    private List<StartStep> startSteps() {
        return List.of(
                StartStep.of("preflight", "preflight", "checking host prerequisites", this::preflight),
                StartStep.of("cleanup_runtime", null, null, c -> {
                    cleanupRuntime(c.vm(), true, false);
                    c.vm(reload(c.vm().id()));
                }),
                StartStep.of("prepare_sockets", null, null, c -> {
                    Files.deleteIfExists(c.qmpSocket());
                    Files.deleteIfExists(c.agentSocket());
                    Files.deleteIfExists(new LaunchSpec.Sockets(c.qmpSocket(), c.agentSocket()).console());
                }),
                StartStep.of("system_overlay", "prepare_rootfs", "creating copy-on-write root overlay", this::createOverlay)
                        .withUndo(c -> {
                            if (c.overlayCreated) Files.deleteIfExists(c.overlay());
                        }),
                StartStep.of("work_disk", "prepare_rootfs", "preparing work disk", this::createWorkDisk)
                        .withUndo(c -> {
                            if (c.workDiskCreated) Files.deleteIfExists(c.workDisk());
                        }),
                StartStep.of("guest_config", "prepare_rootfs", "writing guest configuration", this::writeInitrd)
                        .withUndo(c -> {
                            if (c.initrdWritten) Files.deleteIfExists(c.initrd());
                        }),
                StartStep.of("host_features", "prepare_host_features", "forwarding ssh to 127.0.0.1",
                        c -> c.sshPort = freeLoopbackPort()),
                StartStep.of("vmm_launch", "boot_firecracker", "starting " + vmm.name(), this::launch)
                        .withUndo(this::undoLaunch),
                StartStep.of("wait_agent", "wait_vsock_agent", "waiting for the guest agent", this::waitForAgent)
                        .withUndo(c -> agents.disconnect(c.vm().id())),
                StartStep.of("persist", "finalize", "saving vm state", c -> {
                    VmRecord running = c.vm().withState(VmState.RUNNING);
                    store.upsertVm(running);
                    c.vm(running);
                }));
    }

    private void preflight(StartContext c) throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        if (!Files.isReadable(c.kernel.vmlinux())) missing.add("kernel " + c.kernel.vmlinux());
        if (!Files.isReadable(c.kernel.initrd())) missing.add("initramfs " + c.kernel.initrd());
        if (!Files.isReadable(Path.of(c.image.rootfsPath()))) missing.add("root image " + c.image.rootfsPath());
        if (!Files.isExecutable(config.agentBinary())) missing.add("guest agent " + config.agentBinary());
        if (!missing.isEmpty()) throw new IOException("missing " + String.join(", ", missing));
        Files.createDirectories(c.vmDir);
        Files.createDirectories(runtimeDir);
        c.accel = accelSelector.select(c.kernel);
    }

    private void createOverlay(StartContext c) throws IOException, InterruptedException {
        if (Files.exists(c.overlay())) return;
        c.overlayCreated = true;
        HostCommand.of(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", c.image.rootfsPath(), "-F", "raw",
                c.overlay().toString()), Duration.ofSeconds(30)).run();
    }

    /**
     * A new VM's work disk is a copy of its image's work seed (home skeleton + authorized_keys),
     * grown to the requested size. The seed is refreshed first when the SSH keys changed; the
     * refresh replaces it by rename, so a copy running in parallel never reads a torn seed (seed 002).
     */
    private void createWorkDisk(StartContext c) throws IOException, InterruptedException {
        if (Files.exists(c.workDisk())) return;
        Path imageRootfs = Path.of(c.image.rootfsPath());
        Path seed = workSeeds.ensure(imageRootfs.getParent(), imageRootfs, GUEST_HOME, sshKeys, ProgressSink.NONE);
        c.workDiskCreated = true;
        WorkDisks.materialise(seed, c.workDisk(), Math.max(c.vm().spec().workDiskBytes(), Files.size(seed)));
    }

    private void writeInitrd(StartContext c) throws IOException {
        VmRecord vm = c.vm();
        GuestBootConfig boot = new GuestBootConfig(vm.name(), vm.runtime().guestIp(), config.subnetPrefixLength(),
                config.gateway(), config.dns(), GUEST_HOME, true);
        c.initrdWritten = true;
        initrdBuilder.build(c.kernel.initrd(), boot, c.initrd());
    }

    private void launch(StartContext c) throws Exception {
        VmRecord vm = c.vm();
        LaunchSpec.Sockets sockets = new LaunchSpec.Sockets(c.qmpSocket(), c.agentSocket());
        LaunchSpec spec = new LaunchSpec(vm.id(), c.kernel.vmlinux(), c.initrd(), c.overlay(), "qcow2", c.workDisk(),
                sockets, Path.of(vm.runtime().consoleLog()), c.pidFile(), vm.spec().vcpu(), vm.spec().memoryMib(),
                new LaunchSpec.Network(config.subnet(), config.gateway(), config.dns(), vm.runtime().guestIp(),
                        config.subnetPrefixLength(), c.sshPort),
                c.accel);
        Files.deleteIfExists(spec.consoleLog());
        try {
            c.pid = vmm.launch(spec);
        } finally {
            // Even when launch failed half-way a pidfile may name a VMM; record it so undo can kill it.
            if (c.pid <= 0) c.pid = dev.banger.daemon.vmm.QemuVmm.readPid(c.pidFile());
        }
        crashPoints.reached(CrashPoints.VMM_STARTED);
        VmHandles h = new VmHandles(c.pid, vmm.name(), c.qmpSocket().toString(), c.agentSocket().toString());
        handles.set(vm.id(), c.vmDir, h);  // disk (handles.json) first, then the cache
        VmRecord withProcess = vm.withRuntime(vm.runtime().withLastError(null)
                .withProcess(c.pid, vmm.name(), c.accel.wire(), c.sshPort, Instant.now().toString()));
        store.upsertVm(withProcess);       // teardown identity mirrored on the durable row
        c.vm(withProcess);
    }

    private void undoLaunch(StartContext c) throws Exception {
        List<Exception> errors = new ArrayList<>();
        long pid = c.pid > 0 ? c.pid : dev.banger.daemon.vmm.QemuVmm.readPid(c.pidFile());
        if (pid > 0 && !ProcessIdentity.kill(pid, c.qmpSocket().toString())) {
            errors.add(new IOException("vmm pid " + pid + " did not exit"));
        }
        for (Path p : List.of(c.qmpSocket(), c.agentSocket(), new LaunchSpec.Sockets(c.qmpSocket(), c.agentSocket()).console(), c.pidFile())) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                errors.add(e);
            }
        }
        try {
            handles.clear(c.vm().id(), c.vmDir);
        } catch (IOException e) {
            errors.add(e);
        }
        throwJoined(errors);
    }

    private void waitForAgent(StartContext c) throws Exception {
        Duration timeout = Duration.ofSeconds(config.agentReadyTimeoutSeconds());
        long deadline = System.nanoTime() + timeout.toNanos();
        LaunchSpec.Sockets sockets = new LaunchSpec.Sockets(c.qmpSocket(), c.agentSocket());
        agents.awaitReady(c.vm().id(), c.agentSocket(), deadline, () -> {
            if (!vmm.isOurs(c.pid, sockets)) {
                throw new IOException("vm exited during boot: " + consoleTail(c.vm()));
            }
        });
    }

    static String consoleTail(VmRecord vm) {
        try {
            // The last 64 KiB (read from the end, never the whole capped log) hold the boot's last words.
            List<String> lines = dev.banger.daemon.vmm.ConsoleLog.tail(Path.of(vm.runtime().consoleLog()), 64 << 10).lines().toList();
            if (lines.isEmpty() && !Files.exists(Path.of(vm.runtime().consoleLog()))) return "(no console log)";
            return lines.stream().filter(l -> l.contains("BANGER-BOOT-ERROR") || l.contains("Kernel panic"))
                    .findFirst().orElse(lines.isEmpty() ? "(console empty)" : lines.getLast().strip());
        } catch (IOException e) {
            return "(no console log)";
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    // ---------------------------------------------------------------- stop / kill / restart

    /** Guest shutdown via the agent, then ACPI via QMP, then kill once the timeout is spent (seed 001: 10 s). */
    public VmRecord stop(String ref, Duration timeout) throws Exception {
        VmRecord found = find(ref);
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            VmRecord vm = reload(found.id());
            if (vm.state() != VmState.RUNNING) return vm;
            Optional<VmHandles> h = currentHandles(vm);
            long deadline = System.nanoTime() + timeout.toNanos();
            if (h.isPresent() && isAlive(vm)) {
                gracefulShutdown(vm, h.get(), timeout, deadline);
            }
            Exception cleanup = cleanupRuntimeCollect(vm, true, true);
            VmRecord stopped = markStopped(vm, cleanup == null ? null : cleanup.getMessage());
            if (cleanup != null) throw cleanup;
            return stopped;
        }
    }

    /**
     * Agent shutdown, then ACPI, waiting up to the stop timeout. A {@code kill} or {@code rm -f} of
     * the same VM interrupts this wait (they must end any VM within a bound, however long the stop's
     * timeout): the stop then goes straight on to the kill in its teardown.
     */
    private void gracefulShutdown(VmRecord vm, VmHandles h, Duration timeout, long deadline) {
        StopInProgress stop = new StopInProgress(Thread.currentThread());
        stopsInProgress.put(vm.id(), stop);
        try {
            boolean asked = agents.requestShutdown(vm.id(), Path.of(vm.runtime().agentSocket()));
            // the agent call may have consumed the interrupt: the flag says whether a kill came meanwhile
            if (stop.killRequested) throw new InterruptedException("kill requested");
            long half = System.nanoTime() + timeout.toNanos() / 2;
            if (!asked || !ProcessIdentity.waitGone(h.pid(), h.qmpSocket(), remaining(asked ? half : System.nanoTime()))) {
                if (stop.killRequested) throw new InterruptedException("kill requested");
                vmm.requestPowerdown(new LaunchSpec.Sockets(Path.of(h.qmpSocket()), Path.of(h.agentSocket())));
                ProcessIdentity.waitGone(h.pid(), h.qmpSocket(), remaining(deadline));
            }
        } catch (InterruptedException killRequested) {
            LOG.info("stop of {} cut short: killing it now", vm.name());
        } finally {
            stopsInProgress.remove(vm.id(), stop);
            Thread.interrupted();  // the teardown's own waits must run
        }
    }

    /** A kill or forced rm ends a graceful stop in progress instead of queueing behind its timeout. */
    private void cutShortAnyStop(String vmId) {
        StopInProgress stopping = stopsInProgress.get(vmId);
        if (stopping != null) {
            stopping.killRequested = true;
            stopping.thread.interrupt();
        }
    }

    private static final class StopInProgress {
        final Thread thread;
        volatile boolean killRequested;

        StopInProgress(Thread thread) {
            this.thread = thread;
        }
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    public VmRecord kill(String ref) throws Exception {
        VmRecord found = find(ref);
        cutShortAnyStop(found.id());
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            VmRecord vm = reload(found.id());
            Exception cleanup = cleanupRuntimeCollect(vm, true, true);
            VmRecord stopped = markStopped(vm, cleanup == null ? null : cleanup.getMessage());
            if (cleanup != null) throw cleanup;
            return stopped;
        }
    }

    public VmRecord restart(String ref, Duration timeout, ProgressSink progress) throws Exception {
        stop(ref, timeout);
        return start(ref, progress);
    }

    private VmRecord markStopped(VmRecord vm, String error) {
        VmRecord current = reload(vm.id());
        VmRecord stopped = new VmRecord(current.id(), current.name(), current.imageId(), VmState.STOPPED, current.createdAt(),
                Instant.now(), current.spec(), current.runtime().stopped().withLastError(error));
        store.upsertVm(stopped);
        return stopped;
    }

    // ---------------------------------------------------------------- rm / prune

    public VmRecord remove(String ref, boolean force) throws Exception {
        VmRecord found = find(ref);
        if (force) cutShortAnyStop(found.id());
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            VmRecord vm = reload(found.id());
            if (vm.state() == VmState.RUNNING && isAlive(vm) && !force) {
                throw RpcException.conflict("vm " + vm.name() + " is running; stop it first or use --force");
            }
            Exception cleanup = cleanupRuntimeCollect(vm, false, true);
            if (cleanup != null) {
                store.upsertVm(vm.withState(VmState.ERROR).withRuntime(vm.runtime().withLastError(cleanup.getMessage())));
                throw cleanup;
            }
            store.deleteVm(vm.id());
            // Only a VM that is really gone loses its agent entry and lock; a refused rm changes nothing.
            agents.forget(vm.id());
            locks.forgetUnlessWaitedOn(vm.id());
            return vm;
        }
    }

    /** Removes every VM that is not running. Returns what was removed. */
    public List<VmRecord> prune() throws Exception {
        List<VmRecord> removed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (VmRecord vm : store.listVms()) {
            if (vm.state() == VmState.RUNNING) continue;
            try {
                removed.add(remove(vm.id(), false));
            } catch (RpcException e) {
                if (e.code() != RpcErrors.CONFLICT) failures.add(vm.name() + ": " + e.getMessage());
            } catch (Exception e) {
                failures.add(vm.name() + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) throw new IOException("prune: " + String.join("; ", failures));
        return removed;
    }

    // ---------------------------------------------------------------- teardown

    /**
     * Tears down a VM's host state: VMM process, agent connection, sockets, handles and, unless
     * disks are preserved, the VM directory. Never returns early: every step runs and every
     * error is joined (seed 000). The PID comes from the cache, else handles.json, else the
     * runtime row (seeds 001, 004).
     */
    void cleanupRuntime(VmRecord vm, boolean preserveDisks, boolean immediateKill) throws Exception {
        Exception e = cleanupRuntimeCollect(vm, preserveDisks, immediateKill);
        if (e != null) throw e;
    }

    private Exception cleanupRuntimeCollect(VmRecord vm, boolean preserveDisks, boolean immediateKill) {
        List<Exception> errors = new ArrayList<>();
        VmRuntime rt = vm.runtime();
        Path vmDir = Path.of(rt.vmDir());
        agents.disconnect(vm.id());
        Optional<VmHandles> h = currentHandles(vm);
        // The pidfile is read, not just deleted: after a crash between the VMM's start and handles.json
        // it is the only record of the process.
        long pidFromFile = dev.banger.daemon.vmm.QemuVmm.readPid(vmDir.resolve(PID_FILE));
        String marker = h.map(VmHandles::qmpSocket).orElse(rt.qmpSocket());
        java.util.Set<Long> pids = new java.util.LinkedHashSet<>();
        h.filter(x -> x.pid() > 0).ifPresent(x -> pids.add(x.pid()));
        if (pidFromFile > 0) pids.add(pidFromFile);
        for (long pid : pids) {
            try {
                boolean gone = immediateKill
                        ? ProcessIdentity.kill(pid, marker)
                        : ProcessIdentity.terminate(pid, marker, Duration.ofSeconds(5));
                if (!gone) errors.add(new IOException("vmm pid " + pid + " is still running"));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                errors.add(ie);
            }
        }
        String consoleSocket = rt.qmpSocket() == null ? null : new LaunchSpec.Sockets(Path.of(rt.qmpSocket()), Path.of(rt.qmpSocket())).console().toString();
        for (String p : new String[] {rt.qmpSocket(), rt.agentSocket(), consoleSocket, vmDir.resolve(PID_FILE).toString()}) {
            if (p == null) continue;
            try {
                Files.deleteIfExists(Path.of(p));
            } catch (IOException e) {
                errors.add(e);
            }
        }
        try {
            handles.clear(vm.id(), Files.isDirectory(vmDir) ? vmDir : null);
        } catch (IOException e) {
            errors.add(e);
        }
        if (!preserveDisks) {
            try {
                FileTrees.deleteRecursively(vmDir);
            } catch (IOException e) {
                errors.add(e);
            }
        }
        return joined(errors);
    }

    /** Cache, else handles.json, else the row, else the VMM's pidfile (a crash before handles.json was written). */
    private Optional<VmHandles> currentHandles(VmRecord vm) {
        Optional<VmHandles> cached = handles.cached(vm.id());
        if (cached.isPresent()) return cached;
        Path vmDir = Path.of(vm.runtime().vmDir());
        Optional<VmHandles> file = HandleStore.readFile(vmDir);
        if (file.isPresent()) return file;
        VmRuntime rt = vm.runtime();
        if (rt.pid() != null && rt.pid() > 0) {
            return Optional.of(new VmHandles(rt.pid(), rt.vmm(), rt.qmpSocket(), rt.agentSocket()));
        }
        long pidFromFile = dev.banger.daemon.vmm.QemuVmm.readPid(vmDir.resolve(PID_FILE));
        if (pidFromFile > 0) return Optional.of(new VmHandles(pidFromFile, vmm.name(), rt.qmpSocket(), rt.agentSocket()));
        return Optional.empty();
    }

    boolean isAlive(VmRecord vm) {
        return currentHandles(vm).map(h -> ProcessIdentity.matches(h.pid(), h.qmpSocket())).orElse(false);
    }

    // ---------------------------------------------------------------- reconcile / watch

    /**
     * After a bangerd restart: every VM the store says is running is checked against reality.
     * Alive ones get their handles and watcher back; dead ones are cleaned with the persisted
     * identity and marked stopped. Nothing is deleted.
     */
    public List<String> reconcile() {
        List<String> report = new ArrayList<>();
        Set<String> adopted = new java.util.HashSet<>();
        for (VmRecord vm : store.listVms()) {
            if (vm.state() != VmState.RUNNING && vm.state() != VmState.CREATED && vm.state() != VmState.STARTING) continue;
            Optional<VmHandles> h = currentHandles(vm);
            if (vm.state() == VmState.RUNNING && h.isPresent() && ProcessIdentity.matches(h.get().pid(), h.get().qmpSocket())) {
                handles.seed(vm.id(), h.get());
                vmm.reattachConsole(vm.id(), new LaunchSpec.Sockets(Path.of(h.get().qmpSocket()), Path.of(h.get().agentSocket())),
                        Path.of(vm.runtime().consoleLog()));
                watchForExit(vm);
                adopted.add(vm.id());
                report.add(vm.name() + ": running");
                continue;
            }
            // A start that a crash interrupted is rolled back, not adopted: its guest may never have come up.
            Exception e = cleanupRuntimeCollect(vm, true, true);
            String why = switch (vm.state()) {
                case RUNNING -> "vm exited while bangerd was down";
                case STARTING -> "bangerd stopped while the vm was starting; the start was rolled back";
                default -> "bangerd stopped while the vm was being created";
            };
            markStopped(vm, e == null ? why : why + "; " + e.getMessage());
            report.add(vm.name() + ": cleaned, now stopped");
        }
        report.addAll(killOrphanVmms(adopted));
        return report;
    }

    /**
     * Every VMM of this home that no running VM owns is killed, whatever its row says (stopped, error,
     * or no row at all): it may be writing a disk that promote or rm is about to read or delete.
     */
    private List<String> killOrphanVmms(Set<String> adopted) {
        List<String> report = new ArrayList<>();
        for (VmmProcesses.Found orphan : vmmProcesses.under(runtimeDir)) {
            if (adopted.contains(orphan.vmId())) continue;
            try {
                boolean gone = ProcessIdentity.kill(orphan.pid(), orphan.controlSocket());
                report.add("orphan vmm pid " + orphan.pid() + " of vm " + orphan.vmId() + (gone ? ": killed" : ": did not exit"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return report;
    }

    /** When the guest powers itself off (or QEMU dies), clean up and mark the VM stopped. */
    private void watchForExit(VmRecord vm) {
        Optional<VmHandles> h = currentHandles(vm);
        if (h.isEmpty()) return;
        long pid = h.get().pid();
        Thread.ofVirtual().name("watch-" + vm.name()).start(() -> {
            try {
                while (ProcessIdentity.matches(pid, h.get().qmpSocket())) {
                    Thread.sleep(250);
                }
                try (AutoCloseable ignored = locks.lockVm(vm.id())) {
                    Optional<VmRecord> current = store.vmById(vm.id());
                    if (current.isEmpty() || current.get().state() != VmState.RUNNING) return;
                    Long recordedPid = current.get().runtime().pid();
                    if (recordedPid == null || recordedPid != pid) return;
                    Exception e = cleanupRuntimeCollect(current.get(), true, true);
                    markStopped(current.get(), e == null ? null : e.getMessage());
                    LOG.info("vm {} exited on its own; marked stopped", vm.name());
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("watcher for {} failed: {}", vm.name(), e.toString());
            }
        });
    }

    // ---------------------------------------------------------------- read side

    public List<VmRecord> list() {
        return store.listVms();
    }

    /** By exact name, then exact id, then unique id prefix. */
    /** Work on a VM's disks that must not race a boot: runs under the VM's lock, refused while it runs. */
    public <T> T whileStopped(String ref, StoppedVmWork<T> work) throws Exception {
        VmRecord found = find(ref);
        try (AutoCloseable ignored = locks.lockVm(found.id())) {
            VmRecord vm = reload(found.id());
            if (vm.state() == VmState.RUNNING && isAlive(vm)) {
                throw RpcException.conflict("vm " + vm.name() + " is running; stop it first");
            }
            return work.run(vm);
        }
    }

    @FunctionalInterface
    public interface StoppedVmWork<T> {
        T run(VmRecord vm) throws Exception;
    }

    public VmRecord find(String ref) {
        if (ref == null || ref.isBlank()) throw RpcException.invalid("vm name or id is required");
        Optional<VmRecord> byName = store.vmByName(ref);
        if (byName.isPresent()) return byName.get();
        Optional<VmRecord> byId = store.vmById(ref);
        if (byId.isPresent()) return byId.get();
        if (ref.matches("[0-9a-f]{1,16}")) {
            List<VmRecord> prefixed = store.vmsByIdPrefix(ref);
            if (prefixed.size() == 1) return prefixed.getFirst();
            if (prefixed.size() > 1) throw RpcException.invalid("vm id prefix " + ref + " is ambiguous");
        }
        throw RpcException.notFound("no such vm: " + ref);
    }

    public VmRecord requireRunning(String ref) {
        VmRecord vm = find(ref);
        if (vm.state() != VmState.RUNNING || !isAlive(vm)) {
            throw RpcException.conflict("vm " + vm.name() + " is not running (state " + vm.state().wire() + ")");
        }
        return vm;
    }

    private VmRecord reload(String id) {
        return store.vmById(id).orElseThrow(() -> RpcException.notFound("vm " + id + " was removed"));
    }

    // ---------------------------------------------------------------- helpers

    private static Exception joined(List<Exception> errors) {
        if (errors.isEmpty()) return null;
        IOException first = new IOException(String.join("; ", errors.stream()
                .map(e -> e.getMessage() == null ? e.toString() : e.getMessage()).toList()));
        errors.forEach(first::addSuppressed);
        return first;
    }

    private static void throwJoined(List<Exception> errors) throws Exception {
        Exception e = joined(errors);
        if (e != null) throw e;
    }
}
