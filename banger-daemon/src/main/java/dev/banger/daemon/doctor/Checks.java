package dev.banger.daemon.doctor;

import dev.banger.core.api.DoctorStatus;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.kernel.KernelCatalog;
import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.vmm.AccelSelector;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The one list of doctor checks, in the order they are reported (docs/doctor.md describes each). */
public final class Checks {
    private Checks() { }

    /**
     * What the checks depend on besides the host: the VMM driver's name, bangerd's settings, the
     * accelerator verdict for the default kernel, the state dir, and the root helper's socket
     * (empty: none configured, VMs use rootless networking).
     */
    public record Deps(String vmmDriver, String qemuBinary, String accelMode, AcceleratorVerdict accelVerdict, String subnet,
                       Path stateDir, Optional<Path> helperSocket) {
        public static Deps of(DaemonConfig config, String vmmDriver, Path stateDir, AcceleratorVerdict accelVerdict,
                              Optional<Path> helperSocket) {
            // The subnet new VMs get: the bridge's in bridged mode, QEMU's user network otherwise.
            String subnet = config.networking().bridged() ? config.networking().bridgeSubnet() : config.subnet();
            return new Deps(vmmDriver, config.qemuBinary(), config.accel(), accelVerdict, subnet, stateDir, helperSocket);
        }
    }

    /** AccelSelector's decision for the default kernel, empty when none is installed (public so bangerd can wire it). */
    @FunctionalInterface
    public interface AcceleratorVerdict extends AcceleratorCheck.Verdict { }

    /**
     * The verdict the next start would get: AccelSelector's decision for the default kernel (or, when
     * that is not installed, the first installed one). AccelSelector caches it per kernel in memory and
     * in the state dir, so only the first doctor on a host waits for a probe boot.
     */
    public static AcceleratorVerdict accelVerdict(KernelCatalog kernels, String defaultKernel, AccelSelector accel) {
        return () -> {
            Optional<KernelEntry> k = kernels.find(defaultKernel);
            if (k.isEmpty()) k = kernels.list().stream().findFirst();
            return k.isEmpty() ? Optional.empty() : Optional.of(accel.decide(k.get()));
        };
    }

    static List<Check> all(Deps d) {
        Networking net = d.helperSocket().isPresent() ? new Networking(true) : Networking.ROOTLESS;
        return List.of(
                new AcceleratorCheck(d.accelMode(), d.accelVerdict()),
                new VmmDriverCheck(d.vmmDriver(), d.qemuBinary()),
                new KernelFeatureCheck(new KernelFeatureCheck.Feature("vhost_vsock", "/dev/vhost-vsock", "vhost_vsock", "VHOST_VSOCK",
                        "a vsock agent channel is possible", "the QEMU driver does not need it (the agent talks over virtio-serial)",
                        DoctorStatus.WARN)),
                new KernelFeatureCheck(new KernelFeatureCheck.Feature("device_mapper", "/dev/mapper/control", "dm_mod", "BLK_DEV_DM",
                        "dm-snapshot root disks are possible", "no dm-snapshot roots; root disks are qcow2 overlays (QEMU driver)",
                        DoctorStatus.WARN)),
                new KernelFeatureCheck(new KernelFeatureCheck.Feature("tun", "/dev/net/tun", "tun", "TUN",
                        "taps for bridged networking", "no taps: bridged networking is impossible (rootless VMs are unaffected)",
                        DoctorStatus.WARN)),
                new KernelFeatureCheck(new KernelFeatureCheck.Feature("bridge", null, "bridge", "BRIDGE",
                        "a host bridge for bridged networking", "no bridge: bridged networking is impossible (rootless VMs are unaffected)",
                        DoctorStatus.WARN)),
                new KernelFeatureCheck(new KernelFeatureCheck.Feature("veth", null, "veth", "VETH",
                        "veth pairs (network-namespace setups, banger's network tests)", "no veth pairs (rootless VMs are unaffected)",
                        DoctorStatus.WARN)),
                new KernelFeatureCheck(new KernelFeatureCheck.Feature("loop", "/dev/loop-control", "loop", "BLK_DEV_LOOP",
                        "loop devices (image files as block devices)", "no loop devices (qcow2 roots do not need them)",
                        DoctorStatus.WARN)),
                new NftablesCheck(net),
                new IpForwardCheck(net),
                new ForwardPolicyCheck(net),
                new SubnetCheck(d.subnet()),
                new LeftoversCheck(d.helperSocket().isPresent()),
                new StateSpaceCheck(d.stateDir()),
                new ImageBuildCheck(),
                new RootHelperCheck(d.helperSocket()),
                new DnsCheck());
    }
}
