package dev.banger.daemon.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.kernel.SharedTestKernel;
import dev.banger.daemon.vmm.ProcessIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The boot tests' guest leaves nothing behind when a test ends (or fails) while it still runs. */
class TestGuestTest {
    @TempDir
    Path dir;

    @Test
    void closingARunningGuestKillsItsQemuByPidAndRemovesItsSocketsAndPidfile() throws Exception {
        KernelEntry kernel = SharedTestKernel.get();
        Path initrd = dir.resolve("probe-initrd.img");
        new VmInitrd(dir.resolve("unused-agent")).buildProbe(kernel.initrd(), initrd);
        Path root = dir.resolve("root.raw");
        TestGuest.run(List.of("truncate", "-s", "1M", root.toString()));

        TestGuest guest = TestGuest.launch(dir, kernel.vmlinux(), initrd, root, "raw", null);
        long pid = guest.pid();
        // QEMU daemonized: not our child, so once killed it may linger as a zombie until its new parent reaps it.
        // matches() is "alive, not a zombie, and its command line names this guest's QMP socket".
        String qmp = dir.toRealPath().resolve("00000000000000b0.qmp").toString();
        assertThat(ProcessIdentity.matches(pid, qmp)).as("daemonized QEMU running").isTrue();
        assertThat(names()).contains("00000000000000b0.qmp", "00000000000000b0.agent", "00000000000000b0.console", "qemu.pid");

        guest.close();
        assertThat(ProcessIdentity.matches(pid, qmp)).as("QEMU pid %d after close", pid).isFalse();
        assertThat(names()).containsExactlyInAnyOrder("probe-initrd.img", "root.raw", "console.log");
    }

    private List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
