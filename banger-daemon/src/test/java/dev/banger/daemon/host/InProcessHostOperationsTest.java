package dev.banger.daemon.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.vmm.VmmProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The in-process host operations: idempotent removals, and signals only for a process that is ours. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InProcessHostOperationsTest {
    @TempDir Path tmp;
    private final HostOperations host = new InProcessHostOperations();

    @Test
    void removingWhatIsAlreadyGoneIsNotAnError() throws Exception {
        Path socket = Files.writeString(tmp.resolve("x.agent"), "");
        host.removeRuntimeFile(socket);
        host.removeRuntimeFile(socket);
        assertThat(socket).doesNotExist();

        Path vmDir = Files.createDirectories(tmp.resolve("vms/00000000000000aa/sub"));
        Files.writeString(vmDir.resolve("work.ext4"), "disk");
        host.deleteVmDir(tmp.resolve("vms/00000000000000aa"));
        host.deleteVmDir(tmp.resolve("vms/00000000000000aa"));
        assertThat(tmp.resolve("vms/00000000000000aa")).doesNotExist();
    }

    @Test
    void aProcessIsSignalledOnlyWhenItsCommandLineCarriesTheMarker() throws Exception {
        String marker = tmp.resolve("run/00000000000000aa.qmp").toString();
        Process stranger = new ProcessBuilder("sh", "-c", "while :; do sleep 0.1; done", tmp.resolve("other.qmp").toString()).start();
        Process ours = new ProcessBuilder("sh", "-c", "while :; do sleep 0.1; done", marker).start();
        try {
            assertThat(host.killVmm(new VmmProcess(stranger.pid(), marker))).as("nothing of ours to kill").isTrue();
            assertThat(stranger.isAlive()).isTrue();
            assertThat(host.terminateVmm(new VmmProcess(ours.pid(), marker), Duration.ofSeconds(2))).isTrue();
            assertThat(ours.waitFor(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            stranger.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            ours.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
