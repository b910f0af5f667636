package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A failure injected right after a start step (so that step's own undo must run too) rolls the
 * start back with nothing leaked: no VMM process, no sockets, no overlay, work disk, initrd or
 * handles file; the VM is left in state "error" for inspection. Here from the VMM's launch on,
 * where a real QEMU process and its sockets must go; every step, the earlier ones included, is
 * checked the same way in the daemon's test bed (VmFeatureRegistrationTest).
 */
class StartRollbackE2eTest extends BootingE2eTest {
    /** Regression: `vm run --rm` whose boot failed used to leave the errored VM behind. */
    @org.junit.jupiter.api.Test
    void runWithRmAfterFailedBootLeavesNoVm() throws Exception {
        Banger.run("daemon", "stop");
        Banger.Result r = Banger.run(Map.of("BANGER_FAULT_AFTER_STEP", "wait_agent"), Duration.ofMinutes(5),
                "vm", "run", "--rm", "--", "true");
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("injected fault after step wait_agent");
        Banger.run("daemon", "stop");
        assertThat(Banger.run("vm", "ls", "--json").json()).isEmpty();
        try (var dirs = java.nio.file.Files.list(Banger.stateDir().resolve("vms"))) {
            assertThat(dirs).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vmm_launch", "wait_agent", "persist"})
    void failureAfterStepLeavesNothingBehind(String step) throws Exception {
        Banger.run("daemon", "stop");
        String name = "rb-" + step.replace('_', '-');
        Banger.Result r = Banger.run(Map.of("BANGER_FAULT_AFTER_STEP", step), Duration.ofMinutes(5),
                "vm", "create", "--name", name);
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("injected fault after step " + step).doesNotContain("rollback");

        JsonNode vm = Banger.run("vm", "show", name, "--json").json();
        String id = vm.path("id").asText();
        assertThat(vm.path("state").asText()).isEqualTo("error");
        assertThat(vm.path("runtime").has("pid")).isFalse();
        Path dir = Banger.stateDir().resolve("vms").resolve(id);
        assertThat(dir.resolve("root.qcow2")).doesNotExist();
        assertThat(dir.resolve("work.ext4")).doesNotExist();
        assertThat(dir.resolve("vm-initrd.img")).doesNotExist();
        assertThat(dir.resolve("handles.json")).doesNotExist();
        assertThat(dir.resolve("qemu.pid")).doesNotExist();
        assertThat(Banger.runtimeDir().resolve(id + ".qmp")).doesNotExist();
        assertThat(Banger.runtimeDir().resolve(id + ".agent")).doesNotExist();
        assertThat(Banger.processesOfHome()).noneMatch(ph -> Banger.cmdline(ph.pid()).contains(id));

        Banger.run("daemon", "stop");
        Banger.ok("vm", "rm", name);
        assertThat(dir).doesNotExist();
    }
}
