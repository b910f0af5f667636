package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Crash-safety claims of docs/architecture.md that had no test (issue 13). */
class GuestPowerOffE2eTest extends BootingE2eTest {
    /** The exit watcher: a guest that powers itself off is noticed, cleaned and marked stopped. */
    @Test
    void aGuestThatPowersItselfOffIsMarkedStopped() throws Exception {
        JsonNode vm = Banger.run("vm", "create", "--name", "selfoff", "--json").json();
        String id = vm.path("id").asText();
        long qemu = vm.path("runtime").path("pid").asLong();
        // the guest powers off under the agent's feet: the exec may or may not get its answer
        Banger.run(Map.of(), Duration.ofSeconds(60), "vm", "exec", "selfoff", "--", "sh", "-c", "sync; echo o > /proc/sysrq-trigger");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String state = "";
        while (System.nanoTime() < deadline && !(state = Banger.run("vm", "show", "selfoff", "--json").json().path("state").asText()).equals("stopped")) {
            Thread.sleep(200);
        }
        assertThat(state).isEqualTo("stopped");
        assertThat(Banger.isRunning(qemu)).isFalse();
        assertThat(Banger.runtimeDir().resolve(id + ".qmp")).doesNotExist();
        assertThat(Banger.stateDir().resolve("vms").resolve(id).resolve("handles.json")).doesNotExist();
        Banger.ok("vm", "start", "selfoff");
        assertThat(Banger.ok("vm", "exec", "selfoff", "--", "echo", "up").strip()).isEqualTo("up");
        Banger.ok("vm", "rm", "--force", "selfoff");
    }

    /** A daemon killed mid-create (after the VMM started) leaves a durable record that reconcile turns into the truth. */
    @Test
    void aDaemonKilledMidCreateLeavesADurableRecordAndNoOrphan() throws Exception {
        Banger.run("daemon", "stop");
        Banger.Result r = Banger.run(Map.of("BANGER_CRASH_AFTER", "vmm_launch"), Duration.ofMinutes(5), "vm", "create", "--name", "midway");
        assertThat(r.exit()).isNotZero();
        JsonNode vm = Banger.run("vm", "show", "midway", "--json").json();
        String id = vm.path("id").asText();
        assertThat(vm.path("state").asText()).isEqualTo("stopped");
        assertThat(vm.path("runtime").path("last_error").asText()).contains("while the vm was starting");
        assertThat(Banger.processesOfHome()).noneMatch(ph -> Banger.cmdline(ph.pid()).contains(id) && Banger.isRunning(ph.pid()));
        Banger.ok("vm", "start", "midway");
        assertThat(Banger.ok("vm", "exec", "midway", "--", "echo", "whole").strip()).isEqualTo("whole");
        Banger.ok("vm", "rm", "--force", "midway");
    }
}
