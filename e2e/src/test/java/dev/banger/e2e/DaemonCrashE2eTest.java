package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** bangerd SIGKILLed while a VM runs: the restarted daemon reconciles it, never loses it. */
class DaemonCrashE2eTest extends BootingE2eTest {
    private static void sigkillDaemon() throws Exception {
        long pid = Banger.daemonPid();
        assertThat(pid).isPositive();
        ProcessHandle ph = ProcessHandle.of(pid).orElseThrow();
        ph.destroyForcibly();
        ph.onExit().get(10, TimeUnit.SECONDS);
    }

    @Test
    void vmThatSurvivedTheCrashIsStillRunningAndUsable() throws Exception {
        Banger.ok("vm", "create", "--name", "survivor");
        long qemu = Banger.run("vm", "show", "survivor", "--json").json().path("runtime").path("pid").asLong();
        sigkillDaemon();
        assertThat(Banger.isRunning(qemu)).as("qemu outlives bangerd").isTrue();

        JsonNode vm = Banger.run("vm", "show", "survivor", "--json").json();   // starts a fresh bangerd, which reconciles
        assertThat(vm.path("state").asText()).isEqualTo("running");
        assertThat(vm.path("runtime").path("pid").asLong()).isEqualTo(qemu);
        assertThat(Banger.ok("vm", "exec", "survivor", "--", "echo", "still-here").strip()).isEqualTo("still-here");
        Banger.ok("vm", "rm", "--force", "survivor");
        assertThat(Banger.isRunning(qemu)).isFalse();
    }

    @Test
    void vmThatDiedWhileTheDaemonWasDownIsCleanedAndCanStartAgain() throws Exception {
        JsonNode created = Banger.run("vm", "create", "--name", "casualty", "--json").json();
        String id = created.path("id").asText();
        long qemu = created.path("runtime").path("pid").asLong();
        sigkillDaemon();
        ProcessHandle q = ProcessHandle.of(qemu).orElseThrow();
        q.destroyForcibly();
        q.onExit().get(10, TimeUnit.SECONDS);

        JsonNode vm = Banger.run("vm", "show", "casualty", "--json").json();
        assertThat(vm.path("state").asText()).isEqualTo("stopped");
        assertThat(vm.path("runtime").path("last_error").asText()).contains("exited while bangerd was down");
        assertThat(Banger.runtimeDir().resolve(id + ".qmp")).doesNotExist();
        assertThat(Banger.stateDir().resolve("vms").resolve(id).resolve("handles.json")).doesNotExist();
        assertThat(Banger.stateDir().resolve("vms").resolve(id).resolve("work.ext4")).exists();

        Banger.ok("vm", "start", "casualty");
        assertThat(Banger.ok("vm", "exec", "casualty", "--", "echo", "back").strip()).isEqualTo("back");
        Banger.ok("vm", "rm", "--force", "casualty");
    }
}
