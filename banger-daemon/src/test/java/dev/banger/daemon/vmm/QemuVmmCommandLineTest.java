package dev.banger.daemon.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exact QEMU command line the driver builds for a VM (escaping of paths with commas is in
 * {@link QemuVmmPathTest}). Whole lists are compared, so an added, dropped or reordered argument fails.
 */
class QemuVmmCommandLineTest {
    private static final long TSC_KHZ = 2_345_678;
    private static final LaunchSpec.Sockets SOCKETS = new LaunchSpec.Sockets(Path.of("/run/b/0123456789abcdef.qmp"),
            Path.of("/run/b/0123456789abcdef.agent"));
    private static final LaunchSpec.Network NET_WITH_SSH = new LaunchSpec.Network("172.30.0.0/24", "172.30.0.1", "172.30.0.3",
            "172.30.0.15", 24, 42022);

    private static LaunchSpec spec(Path workDisk, LaunchSpec.Network network, Accel accel) {
        return spec(Path.of("/v/system.qcow2"), "qcow2", workDisk, network, accel);
    }

    private static LaunchSpec spec(Path rootDisk, String rootFormat, Path workDisk, LaunchSpec.Network network, Accel accel) {
        return new LaunchSpec("0123456789abcdef", Path.of("/k/vmlinux"), Path.of("/v/vm-initrd.img"), rootDisk, rootFormat,
                workDisk, SOCKETS, Path.of("/v/console.log"), Path.of("/v/qemu.pid"), 2, 1024, network, accel);
    }

    private static List<String> commandLine(LaunchSpec spec) {
        return new QemuVmm("qemu-system-x86_64", TSC_KHZ).commandLine(spec);
    }

    // The pieces of the command line, in the order the driver writes them.
    private static final List<String> HEAD_KVM = List.of("qemu-system-x86_64", "-M", "microvm", "-accel", "kvm", "-cpu", "host");
    private static final List<String> MACHINE = List.of(
            "-smp", "2", "-m", "1024M",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-name", "banger-0123456789abcdef",
            "-kernel", "/k/vmlinux",
            "-initrd", "/v/vm-initrd.img",
            "-append", "console=ttyS0 panic=-1 quiet reboot=t tsc_early_khz=2345678",
            "-chardev", "socket,id=console,path=/run/b/0123456789abcdef.console,server=on,wait=off",
            "-serial", "chardev:console",
            "-drive", "id=root,file=/v/system.qcow2,format=qcow2,if=none,discard=unmap",
            "-device", "virtio-blk-device,drive=root,serial=banger-root");
    private static final List<String> WORK = List.of(
            "-drive", "id=work,file=/v/work.ext4,format=raw,if=none,discard=unmap",
            "-device", "virtio-blk-device,drive=work,serial=banger-work");
    private static final List<String> NET_SSH = List.of(
            "-netdev", "user,id=net0,net=172.30.0.0/24,host=172.30.0.1,dns=172.30.0.3,hostfwd=tcp:127.0.0.1:42022-172.30.0.15:22",
            "-device", "virtio-net-device,netdev=net0");
    private static final List<String> CONTROL = List.of(
            "-device", "virtio-serial-device",
            "-chardev", "socket,id=agent,path=/run/b/0123456789abcdef.agent,server=on,wait=off",
            "-device", "virtserialport,chardev=agent,name=org.banger.agent",
            "-qmp", "unix:/run/b/0123456789abcdef.qmp,server=on,wait=off",
            "-pidfile", "/v/qemu.pid",
            "-daemonize");

    private static List<String> concat(List<List<String>> parts) {
        List<String> all = new ArrayList<>();
        parts.forEach(all::addAll);
        return all;
    }

    @Test
    void aTypicalKvmVmGetsExactlyTheseArguments() {
        assertThat(commandLine(spec(Path.of("/v/work.ext4"), NET_WITH_SSH, Accel.KVM)))
                .containsExactlyElementsOf(concat(List.of(HEAD_KVM, MACHINE, WORK, NET_SSH, CONTROL)));
    }

    @Test
    void underTcgThereIsNoHostCpu() {
        // -cpu host exists only with KVM; under TCG QEMU refuses it
        assertThat(commandLine(spec(Path.of("/v/work.ext4"), NET_WITH_SSH, Accel.TCG))).containsExactlyElementsOf(concat(List.of(
                List.of("qemu-system-x86_64", "-M", "microvm", "-accel", "tcg"), MACHINE, WORK, NET_SSH, CONTROL)));
    }

    @Test
    void withoutAWorkDiskThereIsNoWorkDrive() {
        assertThat(commandLine(spec(null, NET_WITH_SSH, Accel.KVM)))
                .containsExactlyElementsOf(concat(List.of(HEAD_KVM, MACHINE, NET_SSH, CONTROL)));
    }

    @Test
    void withoutAnSshPortTheUserNetworkForwardsNothing() {
        LaunchSpec.Network noSsh = new LaunchSpec.Network("172.30.0.0/24", "172.30.0.1", "172.30.0.3", "172.30.0.15", 24, 0);
        assertThat(commandLine(spec(Path.of("/v/work.ext4"), noSsh, Accel.KVM))).containsExactlyElementsOf(concat(List.of(HEAD_KVM, MACHINE, WORK,
                List.of("-netdev", "user,id=net0,net=172.30.0.0/24,host=172.30.0.1,dns=172.30.0.3", "-device", "virtio-net-device,netdev=net0"),
                CONTROL)));
    }

    @Test
    void portForwardsAreHostfwdRulesToTheGuestAddressAfterTheSshOne() {
        LaunchSpec.Network net = NET_WITH_SSH.withForwards(List.of(
                dev.banger.core.model.PortForward.parse("8080:80"), dev.banger.core.model.PortForward.parse("0.0.0.0:5353:53/udp")));
        assertThat(commandLine(spec(Path.of("/v/work.ext4"), net, Accel.KVM))).containsExactlyElementsOf(concat(List.of(HEAD_KVM, MACHINE, WORK,
                List.of("-netdev", "user,id=net0,net=172.30.0.0/24,host=172.30.0.1,dns=172.30.0.3,hostfwd=tcp:127.0.0.1:42022-172.30.0.15:22"
                        + ",hostfwd=tcp:127.0.0.1:8080-172.30.0.15:80,hostfwd=udp:0.0.0.0:5353-172.30.0.15:53",
                        "-device", "virtio-net-device,netdev=net0"),
                CONTROL)));
    }

    @Test
    void aBridgedMachineOpensItsTapWithItsMacAndNoUserNetwork() {
        LaunchSpec.Network bridged = new LaunchSpec.Network("10.77.0.0/24", "10.77.0.1", "10.77.0.1", "10.77.0.10", 24, 0)
                .withTap("bt0123456789ab", "02:01:23:45:67:89");
        assertThat(commandLine(spec(Path.of("/v/work.ext4"), bridged, Accel.KVM))).containsExactlyElementsOf(concat(List.of(HEAD_KVM, MACHINE, WORK,
                List.of("-netdev", "tap,id=net0,ifname=bt0123456789ab,script=no,downscript=no",
                        "-device", "virtio-net-device,netdev=net0,mac=02:01:23:45:67:89"),
                CONTROL)));
    }

    @Test
    void aTapWithoutAProperMacIsRefused() {
        LaunchSpec.Network net = new LaunchSpec.Network("10.77.0.0/24", "10.77.0.1", "10.77.0.1", "10.77.0.10", 24, 0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> net.withTap("bt0123456789ab", "02:01:23:45:67,x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withoutANetworkThereIsNoNetdev() {
        assertThat(commandLine(spec(Path.of("/v/work.ext4"), null, Accel.KVM)))
                .containsExactlyElementsOf(concat(List.of(HEAD_KVM, MACHINE, WORK, CONTROL)));
    }

    @Test
    void theRootDiskFormatIsTheSpecs() {
        List<String> cmd = commandLine(spec(Path.of("/v/root.ext4"), "raw", null, null, Accel.KVM));
        assertThat(cmd.get(cmd.indexOf("-drive") + 1)).isEqualTo("id=root,file=/v/root.ext4,format=raw,if=none,discard=unmap");
    }
}
