package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.DoctorStatus;
import org.junit.jupiter.api.Test;

class VmmDriverCheckTest {
    private static FakeProbe withQemu() {
        return new FakeProbe().tool("qemu-system-x86_64", "/usr/bin/qemu-system-x86_64").tool("qemu-img", "/usr/bin/qemu-img")
                .command(FakeProbe.ok("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)\nCopyright\n"), "/usr/bin/qemu-system-x86_64", "--version");
    }

    @Test
    void qemuIsReportedWithItsVersionAndWhetherFirecrackerIsThere() {
        Finding f = new VmmDriverCheck("qemu", "qemu-system-x86_64").run(withQemu());
        assertThat(f.status()).isEqualTo(DoctorStatus.OK);
        assertThat(f.summary()).isEqualTo("QEMU driver: QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7) (firecracker not found)");
        Finding fc = new VmmDriverCheck("qemu", "qemu-system-x86_64").run(withQemu().tool("firecracker", "/usr/local/bin/firecracker"));
        assertThat(fc.detail()).contains("firecracker found at /usr/local/bin/firecracker");
    }

    @Test
    void missingQemuOrQemuImgFailsWithTheInstallCommand() {
        Finding noQemu = new VmmDriverCheck("qemu", "qemu-system-x86_64").run(new FakeProbe());
        assertThat(noQemu.status()).isEqualTo(DoctorStatus.FAIL);
        assertThat(noQemu.summary()).contains("not found: no VM can start");
        assertThat(noQemu.fix()).isEqualTo(VmmDriverCheck.QEMU_FIX);
        FakeProbe noImg = withQemu();
        noImg.tools.remove("qemu-img");
        Finding f = new VmmDriverCheck("qemu", "qemu-system-x86_64").run(noImg);
        assertThat(f.status()).isEqualTo(DoctorStatus.FAIL);
        assertThat(f.fix()).contains("qemu-utils");
    }

    /** A configured absolute path that does not exist is missing too (HostTools takes a path as given). */
    @Test
    void aConfiguredPathThatDoesNotExistFails() {
        FakeProbe host = withQemu();
        host.tools.put("/opt/qemu/bin/qemu", java.nio.file.Path.of("/opt/qemu/bin/qemu"));
        assertThat(new VmmDriverCheck("qemu", "/opt/qemu/bin/qemu").run(host).status()).isEqualTo(DoctorStatus.FAIL);
    }

    @Test
    void itIsTheCheckThatBlocksACreateAndOtherDriversAreNotQemuChecked() {
        assertThat(new VmmDriverCheck("qemu", "q").blocksCreate()).isTrue();
        assertThat(new VmmDriverCheck("fake", "q").run(new FakeProbe()).status()).isEqualTo(DoctorStatus.OK);
    }
}
