package dev.banger.daemon.vm;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.Names;
import dev.banger.core.model.PortForward;
import dev.banger.core.model.Sizes;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmSpec;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.doctor.Checks;
import dev.banger.daemon.doctor.Doctor;
import dev.banger.daemon.image.Images;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vmm.Machine;
import dev.banger.daemon.vmm.Vmm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The first two phases of create (seed 000): validate and resolve the image with no lock held, then
 * reserve name, id, guest IP, VM directory and row under the narrow reservation lock. The row's
 * disk and socket paths are the VMM driver's layout.
 */
final class VmCreator {
    private final Path vmsDir;
    private final Path runtimeDir;
    private final DaemonConfig config;
    private final Store store;
    private final Images images;
    private final Vmm vmm;
    private final VmLocks locks;
    private final VmPortService ports;
    private final GuestNetworks networks;
    /** The doctor checks whose failure makes any create impossible (QEMU missing...), run before anything is reserved. */
    private final Doctor preflight;

    VmCreator(Path vmsDir, Path runtimeDir, DaemonConfig config, Store store, Images images, Vmm vmm, VmLocks locks,
              VmPortService ports, GuestNetworks networks) {
        this.ports = ports;
        this.networks = networks;
        this.vmsDir = vmsDir;
        this.runtimeDir = runtimeDir;
        this.config = config;
        this.store = store;
        this.images = images;
        this.vmm = vmm;
        this.locks = locks;
        this.preflight = Doctor.preflight(Checks.Deps.of(config, vmm.name(), vmsDir, Optional::empty, Optional.empty()));
    }

    /**
     * What the caller asked for, checked and with defaults applied; {@code name} empty: generate one.
     * {@code rootSizeGiven}: the root size is the caller's, not default_root_size.
     */
    record Validated(String name, VmSpec spec, boolean rootSizeGiven) { }

    Validated validate(String name, Integer vcpu, Integer memoryMib, String diskSize, List<PortForward> portForwards)
            throws InterruptedException {
        return validate(name, vcpu, memoryMib, diskSize, portForwards, null);
    }

    /** {@code rootSize} null or blank: the configured default_root_size. */
    Validated validate(String name, Integer vcpu, Integer memoryMib, String diskSize, List<PortForward> portForwards,
                       String rootSize) throws InterruptedException {
        List<PortForward> forwards = portForwards == null ? List.of() : List.copyOf(portForwards);
        ports.checkRequested(forwards);
        if (vcpu != null && vcpu <= 0) throw RpcException.invalid("vcpu must be a positive integer");
        if (memoryMib != null && memoryMib <= 0) throw RpcException.invalid("memory must be a positive integer");
        long diskBytes = diskSize == null || diskSize.isBlank() ? VmSpec.DEFAULT_WORK_DISK_BYTES : parseSize(diskSize);
        long rootBytes = DiskSizes.roundUp(rootSize == null || rootSize.isBlank() ? config.defaultRootDiskBytes()
                : DiskSizes.parse("root size", rootSize));
        String requestedName = name == null ? "" : name.strip();
        if (!requestedName.isEmpty()) {
            try {
                Names.validateVmName(requestedName);
            } catch (IllegalArgumentException e) {
                throw RpcException.invalid(e.getMessage());
            }
        }
        // After the caller's own mistakes (those are invalid input whatever the host), before the image is resolved or built.
        preflight.requireNoFailure();
        return new Validated(requestedName, new VmSpec(vcpu == null ? config.defaultVcpu() : vcpu,
                memoryMib == null ? config.defaultMemoryMib() : memoryMib, diskBytes, forwards, rootBytes),
                rootSize != null && !rootSize.isBlank());
    }

    /**
     * Once the image is known: a root size the caller gave must hold the image's filesystem (else
     * invalid input); the configured default grows to the image's size instead, so a large image
     * still works without a flag.
     */
    Validated fitRoot(Validated request, ImageRecord image) {
        VmSpec spec = request.spec();
        if (request.rootSizeGiven()) {
            DiskSizes.checkRootFits(spec.rootDiskBytes(), image);
            return request;
        }
        long root = Math.max(spec.rootDiskBytes(), DiskSizes.roundUp(image.sizeBytes()));
        return new Validated(request.name(), spec.withDiskSizes(root, spec.workDiskBytes()), false);
    }

    /** The network options against the mode new VMs get: NAT is a bridge's (a rootless guest is already behind QEMU's NAT). */
    Validated withNetworkOptions(Validated v, boolean nat) {
        boolean bridged = networks.modeForNewVms().equals(dev.banger.core.model.VmRuntime.BRIDGE_NETWORK);
        if (nat && !bridged) {
            throw RpcException.invalid("--nat needs bridged networking (network = \"bridged\" in config.toml); "
                    + "a rootless VM already reaches the outside through QEMU's user network");
        }
        VmSpec s = v.spec();
        return new Validated(v.name(), s.withNat(nat), v.rootSizeGiven());
    }

    private static long parseSize(String text) {
        try {
            return Sizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid(e.getMessage());
        }
    }

    ImageRecord resolveImage(String image, ProgressSink progress) throws Exception {
        String imageName = image == null || image.isBlank() ? config.defaultImage() : image;
        progress.report("resolve_image", "resolving image " + imageName);
        ImageRecord resolved = images.resolve(imageName, progress);
        progress.report("resolve_image", "using image " + resolved.name());
        return resolved;
    }

    /** A reserved VM and its lock, already held: nothing (a prune, an rm) can act on the row before create does. */
    record Reservation(VmRecord vm, VmLocks.Held lock) { }

    Reservation reserve(Validated request, ImageRecord image) throws IOException, InterruptedException {
        // Before the lock: for a bridged VM this asks the root helper for the bridge.
        GuestNetworks.Subnet subnet = networks.forNewVms();
        locks.reservation.lockInterruptibly();
        try {
            String name = request.name().isEmpty() ? uniqueGeneratedName() : request.name();
            // Exact match: a new name that merely prefixes another VM's id or name is fine.
            if (store.vmByName(name).isPresent()) throw RpcException.conflict("vm name already exists: " + name);
            // A host port belongs to one VM: checked and written under this lock, as the name is.
            ports.checkUnclaimed(null, request.spec().portForwards());
            String id = Names.newId();
            String ip = nextGuestIp(subnet);
            Path vmDir = vmsDir.resolve(id);
            Files.createDirectories(vmDir);
            Instant now = Instant.now();
            Machine machine = vmm.machine(id, vmDir, runtimeDir);
            VmRuntime runtime = new VmRuntime(ip, name + ".vm", vmDir.toString(),
                    vmm.rootDisk(vmDir).toString(), vmDir.resolve("work.ext4").toString(),
                    vmDir.resolve("vm-initrd.img").toString(), vmDir.resolve("console.log").toString(),
                    machine.controlSocket().toString(), machine.agentSocket().toString(),
                    null, null, null, null, null, null, subnet.mode(), null);
            VmRecord vm = new VmRecord(id, name, image.id(), VmState.CREATED, now, now, request.spec(), runtime);
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

    private String nextGuestIp(GuestNetworks.Subnet subnet) {
        Set<String> used = store.usedGuestIps();
        String prefix = subnet.prefix();
        for (int host = 10; host < 255; host++) {
            String ip = prefix + "." + host;
            if (!used.contains(ip)) return ip;
        }
        throw RpcException.conflict("no free guest address left in " + subnet.cidr());
    }
}
