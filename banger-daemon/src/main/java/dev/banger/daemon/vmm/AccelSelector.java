package dev.banger.daemon.vmm;

import dev.banger.core.Json;
import dev.banger.daemon.boot.VmInitrd;
import dev.banger.daemon.host.HostTools;
import dev.banger.daemon.kernel.KernelEntry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks KVM or TCG. "/dev/kvm opens" is not enough: on PVM hosts it opens, yet a stock kernel
 * hangs. So in auto mode KVM is chosen only after a probe boot of this kernel reaches its
 * initramfs under KVM; the verdict is cached per kernel (sha256) in the state dir.
 */
public final class AccelSelector {
    private static final Logger LOG = LoggerFactory.getLogger(AccelSelector.class);
    private static final String PROBE_MARKER = "BANGER-PROBE-OK";

    public record Decision(Accel accel, String reason) { }

    record CachedVerdict(String kernelSha256, String accel, String reason) { }

    /** Boots the kernel under KVM and says whether it reached its initramfs (the seam the unit tests replace). */
    @FunctionalInterface
    interface ProbeBoot {
        boolean reachesInitramfs(KernelEntry kernel) throws IOException, InterruptedException;
    }

    private final String mode;
    private final Path stateDir;
    private final Path kvmDevice;
    private final ProbeBoot probeBoot;
    /** The last verdict and the kernel it is for: every start asks, the answer only changes with the kernel. */
    private String decidedForKernel;
    private Decision decided;

    public AccelSelector(String mode, Path stateDir, String qemuBinary, long tscKhz, VmInitrd initrds) {
        this(mode, stateDir, Path.of("/dev/kvm"), kernel -> qemuProbeBoot(kernel, stateDir, qemuBinary, tscKhz, initrds));
    }

    AccelSelector(String mode, Path stateDir, Path kvmDevice, ProbeBoot probeBoot) {
        this.mode = mode;
        this.stateDir = stateDir;
        this.kvmDevice = kvmDevice;
        this.probeBoot = probeBoot;
    }

    public Accel select(KernelEntry kernel) throws IOException, InterruptedException {
        return decide(kernel).accel();
    }

    public synchronized Decision decide(KernelEntry kernel) throws IOException, InterruptedException {
        if (mode.equals("tcg")) return new Decision(Accel.TCG, "forced by configuration (accel = tcg)");
        if (mode.equals("kvm")) return new Decision(Accel.KVM, "forced by configuration (accel = kvm)");
        if (!kvmOpens(kvmDevice)) return new Decision(Accel.TCG, "/dev/kvm is missing or not accessible");
        if (kernel.sha256().equals(decidedForKernel)) return decided;
        decided = decideFromCacheOrProbe(kernel);
        decidedForKernel = kernel.sha256();
        return decided;
    }

    private Decision decideFromCacheOrProbe(KernelEntry kernel) throws IOException, InterruptedException {
        Path cache = stateDir.resolve("accel-probe.json");
        if (Files.exists(cache)) {
            CachedVerdict v = Json.MAPPER.readValue(cache.toFile(), CachedVerdict.class);
            if (kernel.sha256().equals(v.kernelSha256())) return new Decision(Accel.valueOf(v.accel()), v.reason());
        }
        Decision d = probe(kernel);
        Path tmp = stateDir.resolve("accel-probe.json.tmp");
        Files.write(tmp, Json.MAPPER.writeValueAsBytes(new CachedVerdict(kernel.sha256(), d.accel().name(), d.reason())));
        Files.move(tmp, cache, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        LOG.info("accelerator: {} ({})", d.accel().wire(), d.reason());
        return d;
    }

    /**
     * Opens the device read-write without creating it: RandomAccessFile "rw" creates a missing
     * file, which made a root bangerd on a host without KVM write a regular file at /dev/kvm
     * and then believe KVM was there.
     */
    static boolean kvmOpens(Path device) {
        try (FileChannel ignored = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private Decision probe(KernelEntry kernel) throws IOException, InterruptedException {
        if (probeBoot.reachesInitramfs(kernel)) {
            return new Decision(Accel.KVM, "a probe boot of " + kernel.name() + " under KVM reached its initramfs");
        }
        return new Decision(Accel.TCG, "/dev/kvm opens but a probe boot of " + kernel.name()
                + " under KVM did not reach its initramfs in 10 s (e.g. a PVM host); using TCG");
    }

    private static boolean qemuProbeBoot(KernelEntry kernel, Path stateDir, String qemuBinary, long tscKhz, VmInitrd initrds)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(stateDir, "kvm-probe");
        Path initrd = dir.resolve("probe-initrd.img");
        Path console = dir.resolve("console.log");
        initrds.buildProbe(kernel.initrd(), initrd);
        List<String> cmd = new ArrayList<>(List.of(HostTools.resolve(qemuBinary).toString(), "-M", "microvm", "-accel", "kvm", "-cpu", "host",
                "-m", "256M", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", kernel.vmlinux().toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 panic=-1 quiet tsc_early_khz=" + tscKhz,
                "-chardev", "file,id=console,path=" + console, "-serial", "chardev:console"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                if (Files.exists(console) && Files.readString(console, StandardCharsets.ISO_8859_1).contains(PROBE_MARKER)) {
                    return true;
                }
                if (!p.isAlive()) break;
                Thread.sleep(100);
            }
            return false;
        } finally {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            try (var walk = Files.walk(dir)) {
                for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }
}
