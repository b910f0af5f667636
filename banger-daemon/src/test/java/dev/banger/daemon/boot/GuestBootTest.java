package dev.banger.daemon.boot;

import dev.banger.daemon.agent.AgentConnection;
import dev.banger.daemon.agent.AgentHello;
import dev.banger.daemon.agent.AgentProcess;
import dev.banger.daemon.agent.Collector;
import dev.banger.daemon.agent.ExecRequest;
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
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real boots under QEMU/TCG, launched by the daemon's QEMU driver, with the imported Debian cloud kernel
 * and the real guest agent: the whole initramfs → init.sh → agent chain, spoken to over the agent protocol.
 */
class GuestBootTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** Acknowledged to powered off takes well under a second under TCG. */
    private static final Duration POWER_OFF_TIMEOUT = Duration.ofSeconds(30);
    private static KernelEntry kernel;

    @TempDir
    Path dir;

    @BeforeAll
    static void importKernel() throws Exception {
        kernel = SharedTestKernel.get();
    }

    @Test
    void bootsIntoTheRealAgentWithNetworkHostnameAndWorkDisk() throws Exception {
        Path base = makeRootDisk();
        Path overlay = overlayOver(base);
        GuestBootConfig cfg = new GuestBootConfig("testvm", TestGuest.GUEST_IP, 24, "172.30.0.1", "172.30.0.3", "/home/dev", true);
        Path initrd = dir.resolve("vm-initrd.img");
        new VmInitrd(AgentProcess.binary()).build(kernel.initrd(), cfg, initrd);

        try (TestGuest guest = TestGuest.launch(dir, kernel.vmlinux(), initrd, overlay, "qcow2", makeWorkDisk());
             AgentConnection agent = AgentConnection.connect(guest.agentSocket(), TIMEOUT)) {
            AgentHello hello = agent.awaitHello(TIMEOUT);
            long helloAt = guest.millis();
            assertThat(hello.hostname()).isEqualTo("testvm");
            assertThat(hello.kernel()).isEqualTo(kernel.kernelVersion());
            assertThat(hello.agentVersion()).isEqualTo("0.1.0");

            // One exec through the protocol reports what the guest sees: its address, the work disk, PID 1, the resolver.
            Collector out = new Collector();
            int code = agent.exec(new ExecRequest(List.of("sh", "-c", "echo ip=$(ip -4 -o addr show dev eth0 | awk '{print $4}')"
                    + " home=$(grep -c ' /home/dev ext4 ' /proc/mounts) init=\"$(tr '\\0' ' ' </proc/1/cmdline)\"; cat /etc/resolv.conf; exit 7"),
                    Map.of(), "/", false, 0, 0), out).awaitExit();
            assertThat(out.errors).isEmpty();
            assertThat(code).as("the command's own exit status").isEqualTo(7);
            assertThat(out.stdout()).isEqualTo("ip=" + TestGuest.GUEST_IP + "/24 home=1 init=/run/banger/banger-agent --init \n"
                    + "nameserver 172.30.0.3\n");

            assertThat(agent.shutdown(false)).as("SHUTDOWN acknowledged").isTrue();
            assertThat(guest.awaitExit(POWER_OFF_TIMEOUT)).as("QEMU ended by itself after the agent's power-off").isTrue();
            String console = guest.console();
            System.out.println("[boot] hello after " + helloAt + " ms, QEMU gone after " + guest.millis() + " ms, vm-initrd.img "
                    + Files.size(initrd) + " bytes\n" + console);
            assertThat(console).doesNotContain("BANGER-BOOT-ERROR").doesNotContain("insmod failed")
                    .contains("BANGER-INIT: start t=", "BANGER-INIT: modules t=", "BANGER-INIT: switch_root t=", TestGuest.POWER_DOWN);
        }
        // init.sh wrote these into the root disk before switch_root: into the qcow2 overlay, not the read-only base.
        Path flat = dir.resolve("root-after.ext4");
        TestGuest.run(List.of("qemu-img", "convert", "-f", "qcow2", "-O", "raw", overlay.toString(), flat.toString()));
        assertThat(debugfsCat(flat, "/etc/resolv.conf")).isEqualTo("nameserver 172.30.0.3\n");
        assertThat(debugfsCat(flat, "/etc/hostname")).isEqualTo("testvm\n");
        assertThat(debugfsCat(base, "/etc/hostname")).as("the base image is never written").isEmpty();
    }

    @Test
    void missingRootDiskIsReportedAndGuestPowersOff() throws Exception {
        // A root "disk" that is not ext4: init.sh must say so on the console and power off, not hang or panic.
        Path base = dir.resolve("root.ext4");
        TestGuest.run(List.of("truncate", "-s", "8M", base.toString()));
        GuestBootConfig cfg = new GuestBootConfig("bad", TestGuest.GUEST_IP, 24, "172.30.0.1", "172.30.0.3", "/home/dev", false);
        Path initrd = dir.resolve("vm-initrd.img");
        new VmInitrd(AgentProcess.binary()).build(kernel.initrd(), cfg, initrd);
        TestGuest.Result r = TestGuest.boot(dir, kernel.vmlinux(), initrd, overlayOver(base), "qcow2", makeWorkDisk(),
                "BANGER-BOOT-ERROR", TIMEOUT);
        assertThat(r.console()).contains("BANGER-BOOT-ERROR: mount root /dev/vd").contains(TestGuest.POWER_DOWN);
        assertThat(r.exitedByItself()).isTrue();
    }

    @Test
    void probeInitrdBootsAndPowersOff() throws Exception {
        Path initrd = dir.resolve("probe-initrd.img");
        new VmInitrd(dir.resolve("unused-agent")).buildProbe(kernel.initrd(), initrd);
        TestGuest.Result r = TestGuest.boot(dir, kernel.vmlinux(), initrd, overlayOver(makeRootDisk()), "qcow2", makeWorkDisk(),
                "BANGER-PROBE-OK", TIMEOUT);
        System.out.println("[probe] marker after " + r.markerMillis() + " ms, QEMU gone after " + r.exitMillis() + " ms");
        assertThat(r.console()).contains("BANGER-PROBE-OK").contains(TestGuest.POWER_DOWN);
        assertThat(r.exitedByItself()).isTrue();
    }

    /** The VM's root disk as the start pipeline makes it: a qcow2 overlay over the read-only raw image. */
    private Path overlayOver(Path base) throws Exception {
        Path overlay = dir.resolve("system.qcow2");
        TestGuest.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", overlay.toString()));
        return overlay;
    }

    private static String debugfsCat(Path image, String file) throws Exception {
        return TestGuest.output(List.of("debugfs", "-R", "cat " + file, image.toString()));
    }

    private Path makeRootDisk() throws Exception {
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
        return img;
    }

    private Path makeWorkDisk() throws Exception {
        Path img = dir.resolve("work.ext4");
        TestGuest.run(List.of("truncate", "-s", "16M", img.toString()));
        TestGuest.run(List.of("mkfs.ext4", "-q", "-F", "-b", "4096", img.toString()));
        return img;
    }
}
