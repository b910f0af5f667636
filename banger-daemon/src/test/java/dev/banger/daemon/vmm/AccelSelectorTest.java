package dev.banger.daemon.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.kernel.KernelEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The accelerator decision over stand-in devices and probe boots: "/dev/kvm opens" is not
 * enough, KVM is chosen in auto mode only after a probe boot of this kernel reached its
 * initramfs, and the verdict is cached per kernel on disk. The probe boot itself (QEMU under
 * KVM) cannot run on a host without KVM, so a recording fake answers for it.
 */
class AccelSelectorTest {
    @TempDir
    Path tmp;

    private final List<String> probed = new ArrayList<>();

    private AccelSelector.ProbeBoot probeAnswering(boolean reaches) {
        return kernel -> {
            probed.add(kernel.name());
            return reaches;
        };
    }

    private Path openableDevice() throws Exception {
        return Files.writeString(tmp.resolve("kvm"), "");   // a file opens rw like an accessible /dev/kvm
    }

    private static KernelEntry kernel(String name, String sha256) {
        return new KernelEntry(name, "debian", "x86_64", "6.1.0", sha256, "test", Instant.EPOCH, Path.of("/nonexistent", name));
    }

    private AccelSelector selector(String mode, Path device, boolean probeReaches) throws Exception {
        return new AccelSelector(mode, Files.createDirectories(tmp.resolve("state")), device, probeAnswering(probeReaches));
    }

    @Test
    void forcedModesNeitherOpenTheDeviceNorProbe() throws Exception {
        Path missing = tmp.resolve("no-kvm");
        assertThat(selector("tcg", openableDevice(), true).decide(kernel("k", "aa")))
                .isEqualTo(new AccelSelector.Decision(Accel.TCG, "forced by configuration (accel = tcg)"));
        assertThat(selector("kvm", missing, false).decide(kernel("k", "aa")))
                .isEqualTo(new AccelSelector.Decision(Accel.KVM, "forced by configuration (accel = kvm)"));
        assertThat(probed).isEmpty();
    }

    @Test
    void noKvmDeviceMeansTcgWithoutAProbe() throws Exception {
        Path missing = tmp.resolve("no-kvm");
        AccelSelector.Decision d = selector("auto", missing, true).decide(kernel("k", "aa"));
        assertThat(d.accel()).isEqualTo(Accel.TCG);
        assertThat(d.reason()).isEqualTo("/dev/kvm is missing or not accessible");
        assertThat(probed).isEmpty();
        assertThat(missing).as("looking for the device must not create it").doesNotExist();
    }

    @Test
    void anUnopenableDeviceMeansTcgWithoutAProbe() throws Exception {
        Path unopenable = Files.createDirectory(tmp.resolve("kvm-dir"));   // cannot be opened rw, even by root
        assertThat(selector("auto", unopenable, true).decide(kernel("k", "aa")).accel()).isEqualTo(Accel.TCG);
        assertThat(probed).isEmpty();
    }

    @Test
    void aDeviceThatOpensButAProbeBootThatFailsMeansTcg() throws Exception {
        AccelSelector.Decision d = selector("auto", openableDevice(), false).decide(kernel("stock", "aa"));
        assertThat(d.accel()).isEqualTo(Accel.TCG);
        assertThat(d.reason()).contains("/dev/kvm opens but a probe boot of stock under KVM did not reach its initramfs");
        assertThat(probed).containsExactly("stock");
    }

    @Test
    void aProbeBootThatReachesTheInitramfsMeansKvm() throws Exception {
        AccelSelector.Decision d = selector("auto", openableDevice(), true).decide(kernel("stock", "aa"));
        assertThat(d).isEqualTo(new AccelSelector.Decision(Accel.KVM, "a probe boot of stock under KVM reached its initramfs"));
    }

    @Test
    void theVerdictIsProbedOncePerKernelAndSurvivesARestart() throws Exception {
        Path device = openableDevice();
        AccelSelector first = selector("auto", device, true);
        assertThat(first.select(kernel("k", "aa"))).isEqualTo(Accel.KVM);
        assertThat(first.select(kernel("k", "aa"))).isEqualTo(Accel.KVM);
        assertThat(probed).containsExactly("k");
        // A new bangerd (same state dir) reads the cached verdict: its probe would now say TCG, and is not asked.
        AccelSelector restarted = selector("auto", device, false);
        assertThat(restarted.select(kernel("k", "aa"))).isEqualTo(Accel.KVM);
        assertThat(probed).containsExactly("k");
        // Another kernel (by sha256) is probed afresh.
        assertThat(restarted.select(kernel("k", "bb"))).isEqualTo(Accel.TCG);
        assertThat(probed).containsExactly("k", "k");
        assertThat(tmp.resolve("state/accel-probe.json")).exists();
        assertThat(tmp.resolve("state/accel-probe.json.tmp")).doesNotExist();
    }

    @Test
    void losingTheDeviceLaterFallsBackToTcgDespiteACachedKvmVerdict() throws Exception {
        Path device = openableDevice();
        AccelSelector s = selector("auto", device, true);
        assertThat(s.select(kernel("k", "aa"))).isEqualTo(Accel.KVM);
        Files.delete(device);
        assertThat(s.select(kernel("k", "aa"))).isEqualTo(Accel.TCG);
    }
}
