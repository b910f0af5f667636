package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.DoctorStatus;
import dev.banger.daemon.vmm.Accel;
import dev.banger.daemon.vmm.AccelSelector;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** KVM only when it opens and the probe boot says so; otherwise TCG, said with why and the boot time to expect. */
class AcceleratorCheckTest {
    private final AtomicInteger probes = new AtomicInteger();

    private AcceleratorCheck.Verdict verdict(Accel accel, String reason) {
        return () -> {
            probes.incrementAndGet();
            return Optional.of(new AccelSelector.Decision(accel, reason));
        };
    }

    @Test
    void aPvmHostWhoseProbeBootHangsSaysTcgWillBeUsedAndWhy() {
        FakeProbe host = new FakeProbe().device("/dev/kvm", true).device("/sys/module/kvm_pvm", false);
        Finding f = new AcceleratorCheck("auto", verdict(Accel.TCG, "/dev/kvm opens but a probe boot of k under KVM did not reach its initramfs"))
                .run(host);
        assertThat(f.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(f.summary()).startsWith("TCG will be used: /dev/kvm opens but a probe boot").contains("about 2 s");
        assertThat(f.detail()).contains("kvm_pvm loaded").contains("opens read-write");
        assertThat(probes).hasValue(1);
    }

    @Test
    void aWorkingKvmIsOkWithTheProbesReason() {
        Finding f = new AcceleratorCheck("auto", verdict(Accel.KVM, "a probe boot of k under KVM reached its initramfs"))
                .run(new FakeProbe().device("/dev/kvm", true));
        assertThat(f.status()).isEqualTo(DoctorStatus.OK);
        assertThat(f.summary()).startsWith("KVM: a probe boot").contains("under a second");
    }

    @Test
    void aKvmTheUserCannotOpenNamesTheGroupFixAndNeverProbes() {
        Finding f = new AcceleratorCheck("auto", verdict(Accel.KVM, "x")).run(new FakeProbe().device("/dev/kvm", false));
        assertThat(f.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(f.summary()).contains("not usable by alice").contains("TCG will be used");
        assertThat(f.fix()).startsWith("sudo usermod -aG kvm alice");
        assertThat(probes).hasValue(0);
    }

    @Test
    void noKvmIsAWarningUnlessTheConfigurationInsistsOnKvm() {
        assertThat(new AcceleratorCheck("auto", verdict(Accel.KVM, "x")).run(new FakeProbe()).status()).isEqualTo(DoctorStatus.WARN);
        Finding forced = new AcceleratorCheck("kvm", verdict(Accel.KVM, "x")).run(new FakeProbe());
        assertThat(forced.status()).isEqualTo(DoctorStatus.FAIL);
        assertThat(forced.summary()).isEqualTo("accel = kvm is configured but no /dev/kvm");
        assertThat(new AcceleratorCheck("tcg", verdict(Accel.KVM, "x")).run(new FakeProbe().device("/dev/kvm", true)).summary())
                .startsWith("TCG, forced by configuration");
        assertThat(probes).hasValue(0);
    }

    @Test
    void withNoKernelInstalledTheFirstStartWillProbe() {
        Finding f = new AcceleratorCheck("auto", Optional::empty).run(new FakeProbe().device("/dev/kvm", true));
        assertThat(f.status()).isEqualTo(DoctorStatus.OK);
        assertThat(f.summary()).contains("the first VM start probes");
    }
}
