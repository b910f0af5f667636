package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression (issue 8.6): bangerd dies while {@code vm start} boots a stopped VM. The daemon halts
 * itself at each crash point ({@code BANGER_CRASH_AFTER}: Runtime.halt, so no rollback, finally block
 * or shutdown hook runs, exactly what the disk sees after SIGKILL). After a fresh daemon reconciles:
 * no VMM process is left unless the VM really is running, the state says what is true, and rm
 * leaves nothing. Before the fix, a crash after the VMM started left QEMU running under a VM that
 * said "stopped", and a crash before handles.json left a process nothing would ever kill.
 *
 * <p>Only the points from the VMM's launch on are here: they need a real QEMU (its pidfile, its
 * daemonized process, a guest agent). The seven points before the launch involve no guest and are
 * covered in the daemon's test bed ({@code banger-daemon}'s {@code StartCrashTest}), which saves
 * seven daemon restarts and guest boots of CI time.
 */
class StartCrashE2eTest extends BootingE2eTest {
    private static String id;

    @BeforeAll
    static void aVmThatHasRunOnceAndIsStopped() throws Exception {
        id = Banger.run("vm", "create", "--name", "phoenix", "--json").json().path("id").asText();
        Banger.ok("vm", "stop", "phoenix");
    }

    @AfterAll
    static void rmLeavesNothing() throws Exception {
        Banger.run("daemon", "stop");
        Banger.ok("vm", "rm", "--force", "phoenix");
        assertThat(Banger.stateDir().resolve("vms").resolve(id)).doesNotExist();
        assertThat(Banger.runtimeDir().resolve(id + ".qmp")).doesNotExist();
        assertThat(Banger.runtimeDir().resolve(id + ".agent")).doesNotExist();
        assertThat(vmmsOf(id)).isZero();
    }

    private static long vmmsOf(String vmId) {
        return Banger.processesOfHome().stream()
                .filter(ph -> Banger.cmdline(ph.pid()).contains(vmId + ".qmp") && Banger.isRunning(ph.pid())).count();
    }

    @ParameterizedTest
    @ValueSource(strings = {"vmm_started", "vmm_launch", "wait_agent", "persist"})
    void crashWhileStartingAStoppedVmLeavesNoOrphanAndATruthfulState(String point) throws Exception {
        Banger.run("daemon", "stop");
        Banger.Result start = Banger.run(Map.of("BANGER_CRASH_AFTER", point), Duration.ofMinutes(5), "vm", "start", "phoenix");
        assertThat(start.exit()).as("the daemon died under the CLI").isNotZero();
        assertThat(Banger.daemonPid()).as("no daemon answers until the next call starts one").isEqualTo(-1);

        JsonNode vm = Banger.run("vm", "show", "phoenix", "--json").json();  // a fresh bangerd, which reconciles
        String state = vm.path("state").asText();
        if (point.equals("persist")) {
            assertThat(state).isEqualTo("running");
            assertThat(vmmsOf(id)).isEqualTo(1);
            assertThat(Banger.ok("vm", "exec", "phoenix", "--", "echo", "alive").strip()).isEqualTo("alive");
            Banger.ok("vm", "stop", "phoenix");
        } else {
            assertThat(state).isEqualTo("stopped");
            assertThat(vm.path("runtime").path("last_error").asText()).contains("while the vm was starting");
            assertThat(vmmsOf(id)).as("no VMM outlives a start the crash interrupted").isZero();
            Path dir = Banger.stateDir().resolve("vms").resolve(id);
            assertThat(dir.resolve("handles.json")).doesNotExist();
            assertThat(dir.resolve("qemu.pid")).doesNotExist();
            assertThat(Banger.runtimeDir().resolve(id + ".qmp")).doesNotExist();
        }
        // and it still starts normally afterwards
        Banger.ok("vm", "start", "phoenix");
        assertThat(Banger.ok("vm", "exec", "phoenix", "--", "echo", "again").strip()).isEqualTo("again");
        Banger.ok("vm", "stop", "phoenix");
    }
}
