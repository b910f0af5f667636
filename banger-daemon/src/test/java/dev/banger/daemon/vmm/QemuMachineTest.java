package dev.banger.daemon.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QEMU driver's machine, which vm/ no longer spells out: the names on disk are what older rows,
 * handles.json files and the e2e suite know (root.qcow2, qemu.pid, {@code <id>.qmp/.agent/.console}).
 */
class QemuMachineTest {
    @TempDir Path tmp;
    private final QemuVmm qemu = new QemuVmm("qemu-system-x86_64", 2_000_000);

    @Test
    void theLayoutIsTheOneRowsAndTheE2eSuiteKnow() {
        Path vmDir = tmp.resolve("vms/00000000000000aa");
        Machine m = qemu.machine("00000000000000aa", vmDir, tmp.resolve("run"));
        assertThat(m).isEqualTo(new Machine("00000000000000aa", vmDir, tmp.resolve("run/00000000000000aa.qmp"),
                tmp.resolve("run/00000000000000aa.agent")));
        assertThat(qemu.rootDisk(vmDir)).isEqualTo(vmDir.resolve("root.qcow2"));
        assertThat(qemu.runtimeFiles(m)).containsExactly(m.controlSocket(), m.agentSocket(),
                tmp.resolve("run/00000000000000aa.console"), vmDir.resolve("qemu.pid"));
        assertThat(qemu.agentEndpoint(m)).isEqualTo(new UnixSocketAgentEndpoint(m.agentSocket()));
    }

    @Test
    void aQemuIsRecognisedByItsQmpSocketAndRecordsItsPidInQemuPid() throws Exception {
        Path vmDir = Files.createDirectories(tmp.resolve("vms/00000000000000bb"));
        Machine m = qemu.machine("00000000000000bb", vmDir, tmp.resolve("run"));
        assertThat(qemu.process(77, m)).isEqualTo(new VmmProcess(77, m.controlSocket().toString()));
        assertThat(qemu.recordedPid(m)).as("no pidfile yet").isZero();
        Files.writeString(vmDir.resolve("qemu.pid"), "4242\n");
        assertThat(qemu.recordedPid(m)).isEqualTo(4242);
    }

    @Test
    void aRowThatNamesNoSocketsStillHasItsPidfileRemovedAndNoPidCountsAsOurs() {
        Machine bare = new Machine("00000000000000cc", tmp.resolve("vms/00000000000000cc"), null, null);
        assertThat(qemu.runtimeFiles(bare)).containsExactly(tmp.resolve("vms/00000000000000cc/qemu.pid"));
        assertThat(qemu.process(ProcessHandle.current().pid(), bare).alive()).isFalse();
    }
}
