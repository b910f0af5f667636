package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.DoctorStatus;
import org.junit.jupiter.api.Test;

class KernelFeatureCheckTest {
    private static final KernelFeatureCheck DM = new KernelFeatureCheck(new KernelFeatureCheck.Feature("device_mapper",
            "/dev/mapper/control", "dm_mod", "BLK_DEV_DM", "dm roots", "qcow2 roots instead", DoctorStatus.WARN));
    private static final KernelFeatureCheck VETH = new KernelFeatureCheck(new KernelFeatureCheck.Feature("veth",
            null, "veth", "VETH", "veth pairs", "no veth", DoctorStatus.WARN));

    @Test
    void aDeviceNodeALoadedModuleOrABuiltInConfigEachMeanAvailable() {
        assertThat(DM.run(new FakeProbe().device("/dev/mapper/control", false)).status()).isEqualTo(DoctorStatus.OK);
        assertThat(DM.run(new FakeProbe().device("/sys/module/dm_mod", false)).status()).isEqualTo(DoctorStatus.OK);
        FakeProbe builtIn = new FakeProbe();
        builtIn.kernelConfig = "CONFIG_TUN=y\nCONFIG_VETH=y\n";
        Finding f = VETH.run(builtIn);
        assertThat(f.status()).isEqualTo(DoctorStatus.OK);
        assertThat(f.detail()).contains("CONFIG_VETH=y");
    }

    @Test
    void aModuleThatIsBuiltButNotLoadedGetsItsModprobe() {
        FakeProbe host = new FakeProbe();
        host.kernelConfig = "CONFIG_BLK_DEV_DM=m\n";
        Finding f = DM.run(host);
        assertThat(f.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(f.summary()).startsWith("built as a module but not loaded");
        assertThat(f.fix()).isEqualTo("sudo modprobe dm_mod");
    }

    /** This CI host: no device-mapper in the kernel at all (its config has no CONFIG_BLK_DEV_DM). */
    @Test
    void aKernelWithoutItSaysSoAndWhatBangerDoesInstead() {
        FakeProbe host = new FakeProbe();
        host.kernelConfig = "# CONFIG_BLK_DEV_DM is not set\nCONFIG_BLK_DEV_DM_BUILTIN=y\n";
        Finding f = DM.run(host);
        assertThat(f.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(f.summary()).isEqualTo("not available in this kernel: qcow2 roots instead");
        assertThat(f.fix()).startsWith("boot a kernel built with CONFIG_BLK_DEV_DM=m");
        assertThat(f.detail()).contains("/dev/mapper/control missing").contains("/sys/module/dm_mod absent").contains("CONFIG_BLK_DEV_DM not set");
    }

    @Test
    void everyKernelFeatureIsRegistered() {
        var names = Checks.all(ChecksTest.deps()).stream().map(Check::name).toList();
        assertThat(names).contains("vhost_vsock", "device_mapper", "tun", "bridge", "veth", "loop");
    }
}
