package dev.banger.daemon.boot;

import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.kernel.SharedTestKernel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Real boots under QEMU/TCG with the imported Debian cloud kernel: the whole initramfs → init.sh → agent chain. */
class GuestBootTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static KernelEntry kernel;

    @TempDir
    Path dir;

    @BeforeAll
    static void importKernel() throws Exception {
        kernel = SharedTestKernel.get();
    }

    @Test
    void bootsIntoAgentWithNetworkHostnameAndWorkDisk() throws Exception {
        makeRootDisk();
        makeWorkDisk();
        Path agent = Files.writeString(dir.resolve("stand-in-agent"), """
                #!/bin/sh
                ip=$(ip -4 -o addr show dev eth0 | awk '{print $4}')
                if grep -q ' /home/dev ext4 ' /proc/mounts; then home=mounted; else home=unmounted; fi
                echo "TEST-AGENT-UP hostname=$(hostname) ip=$ip home=$home pid=$$ args=$*" > /dev/console
                sync
                poweroff -f
                """);
        GuestBootConfig cfg = new GuestBootConfig("testvm", "172.30.0.15", 24, "172.30.0.1", "172.30.0.3", "/home/dev", true);
        Path initrd = dir.resolve("vm-initrd.img");
        new VmInitrd(agent).build(kernel.initrd(), cfg, initrd);

        TestGuest.Result r = TestGuest.boot(dir, kernel.vmlinux(), initrd, "TEST-AGENT-UP", TIMEOUT);
        System.out.println("[boot] marker after " + r.markerMillis() + " ms, QEMU exited after " + r.exitMillis()
                + " ms, vm-initrd.img " + Files.size(initrd) + " bytes\n" + r.console());

        assertThat(r.console()).doesNotContain("BANGER-BOOT-ERROR").doesNotContain("insmod failed")
                .contains("BANGER-INIT: start t=", "BANGER-INIT: modules t=", "BANGER-INIT: switch_root t=")
                .contains("TEST-AGENT-UP hostname=testvm ip=172.30.0.15/24 home=mounted pid=1 args=--init");
        assertThat(r.exitedByItself()).as("QEMU powered off by itself").isTrue();
        assertThat(r.exitCode()).isZero();
        // The guest wrote these into the root disk before switch_root.
        assertThat(TestGuest.output(List.of("debugfs", "-R", "cat /etc/resolv.conf", dir.resolve("root.ext4").toString())))
                .contains("nameserver 172.30.0.3");
        assertThat(TestGuest.output(List.of("debugfs", "-R", "cat /etc/hostname", dir.resolve("root.ext4").toString())))
                .contains("testvm");
    }

    @Test
    void missingRootDiskIsReportedAndGuestPowersOff() throws Exception {
        // A root "disk" that is not ext4: init.sh must say so on the console and power off, not hang or panic.
        TestGuest.run(List.of("truncate", "-s", "8M", dir.resolve("root.ext4").toString()));
        makeWorkDisk();
        Path agent = Files.writeString(dir.resolve("agent"), "#!/bin/sh\n");
        GuestBootConfig cfg = new GuestBootConfig("bad", "172.30.0.15", 24, "172.30.0.1", "172.30.0.3", "/home/dev", false);
        Path initrd = dir.resolve("vm-initrd.img");
        new VmInitrd(agent).build(kernel.initrd(), cfg, initrd);
        TestGuest.Result r = TestGuest.boot(dir, kernel.vmlinux(), initrd, "BANGER-BOOT-ERROR", TIMEOUT);
        assertThat(r.console()).contains("BANGER-BOOT-ERROR: mount root /dev/vd");
        assertThat(r.exitedByItself()).isTrue();
    }

    @Test
    void probeInitrdBootsAndPowersOff() throws Exception {
        makeRootDisk();
        makeWorkDisk();
        Path initrd = dir.resolve("probe-initrd.img");
        new VmInitrd(dir.resolve("unused-agent")).buildProbe(kernel.initrd(), initrd);
        TestGuest.Result r = TestGuest.boot(dir, kernel.vmlinux(), initrd, "BANGER-PROBE-OK", TIMEOUT);
        System.out.println("[probe] marker after " + r.markerMillis() + " ms, QEMU exited after " + r.exitMillis() + " ms");
        assertThat(r.console()).contains("BANGER-PROBE-OK");
        assertThat(r.exitedByItself()).isTrue();
        assertThat(r.exitCode()).isZero();
    }

    private void makeRootDisk() throws Exception {
        Path root = dir.resolve("rootfs");
        for (String d : List.of("bin", "etc", "proc", "sys", "dev", "run", "tmp", "home")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.copy(SharedTestKernel.BUSYBOX, root.resolve("bin/busybox"));
        Files.setPosixFilePermissions(root.resolve("bin/busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String applet : TestGuest.output(List.of(SharedTestKernel.BUSYBOX.toString(), "--list")).split("\n")) {
            if (applet.matches("[a-z0-9_.-]+") && !applet.equals("busybox")) {
                Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
            }
        }
        Path img = dir.resolve("root.ext4");
        TestGuest.run(List.of("truncate", "-s", "32M", img.toString()));
        TestGuest.run(List.of("mkfs.ext4", "-q", "-F", "-b", "4096", "-d", root.toString(), img.toString()));
    }

    private void makeWorkDisk() throws Exception {
        Path img = dir.resolve("work.ext4");
        TestGuest.run(List.of("truncate", "-s", "16M", img.toString()));
        TestGuest.run(List.of("mkfs.ext4", "-q", "-F", "-b", "4096", img.toString()));
    }
}
