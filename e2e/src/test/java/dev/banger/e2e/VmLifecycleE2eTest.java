package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A real QEMU guest through create, exec, stop, start (work disk survives) and rm (nothing left). */
class VmLifecycleE2eTest extends BootingE2eTest {
    @Test
    void createExecStopStartRemove() throws Exception {
        Banger.Leftovers before = Banger.leftovers();
        JsonNode vm = Banger.run("vm", "create", "--name", "life", "--json").json();
        String id = vm.path("id").asText();
        assertThat(vm.path("state").asText()).isEqualTo("running");
        long pid = vm.path("runtime").path("pid").asLong();
        assertThat(Banger.cmdline(pid)).contains("qemu-system-x86_64").contains(id);

        assertThat(Banger.ok("vm", "exec", "life", "--", "cat", "/etc/os-release")).contains("bookworm");
        assertThat(Banger.ok("vm", "exec", "life", "--", "hostname").strip()).isEqualTo("life");
        Banger.Result failing = Banger.run("vm", "exec", "life", "--", "sh", "-c", "echo to-stderr >&2; exit 7");
        assertThat(failing.exit()).isEqualTo(7);
        assertThat(failing.stderr()).contains("to-stderr");

        Banger.ok("vm", "exec", "life", "--", "sh", "-c", "echo kept-across-restarts > /root/note && sync");
        Banger.ok("vm", "stop", "life");
        JsonNode stopped = Banger.run("vm", "show", "life", "--json").json();
        assertThat(stopped.path("state").asText()).isEqualTo("stopped");
        assertThat(Banger.isRunning(pid)).isFalse();
        assertThat(Banger.runtimeDir().resolve(id + ".qmp")).doesNotExist();

        Banger.ok("vm", "start", "life");
        assertThat(Banger.ok("vm", "exec", "life", "--", "cat", "/root/note").strip()).isEqualTo("kept-across-restarts");
        assertThat(Banger.ok("vm", "logs", "life")).contains("BANGER-INIT");

        Banger.ok("vm", "rm", "--force", "life");
        Path vmDir = Banger.stateDir().resolve("vms").resolve(id);
        assertThat(vmDir).doesNotExist();
        try (var run = Files.list(Banger.runtimeDir())) {
            assertThat(run.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(id));
        }
        assertThat(Banger.processesOfHome()).noneMatch(ph -> Banger.cmdline(ph.pid()).contains(id));
        assertThat(Banger.run("vm", "show", "life").exit()).isNotZero();
        assertThat(before.addedIn(Banger.leftovers())).as("what the VM left behind").isEqualTo(Banger.Leftovers.NONE);
    }

    @Test
    void runWithRmPrintsWhatTheGuestPrintedAndLeavesNothing() throws Exception {
        Banger.Leftovers before = Banger.leftovers();
        Banger.Result r = Banger.run("vm", "run", "--rm", "--name", "oneshot", "--", "uname", "-r");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout().strip()).endsWith("-amd64");
        assertThat(Banger.run("vm", "show", "oneshot").exit()).isNotZero();
        // no VM dir, no socket, no store row, no process: not merely "vm show fails"
        assertThat(before.addedIn(Banger.leftovers())).as("what the VM left behind").isEqualTo(Banger.Leftovers.NONE);
    }
}
