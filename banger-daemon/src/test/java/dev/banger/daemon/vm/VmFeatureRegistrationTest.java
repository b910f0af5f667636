package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 9, "Done when": a feature added through the public registration alone (the list given to
 * VmService, as Bangerd does) is called by the start and the teardown with no pipeline code
 * touched: prepare, contribute and postStart in that order, cleanup at every teardown, and cleanup
 * on the rollback whichever start step a fault follows.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VmFeatureRegistrationTest {
    static final List<String> STEPS = List.of("preflight", "cleanup_runtime", "prepare_sockets", "system_overlay", "work_disk",
            "guest_config", "host_features", "vmm_launch", "wait_agent", "persist");

    @TempDir Path home;

    /** A feature that only logs each call, with what it saw. */
    private static final class Throwaway implements VmFeature {
        private final List<String> log;

        Throwaway(List<String> log) {
            this.log = log;
        }

        @Override
        public String name() {
            return "throwaway";
        }

        @Override
        public void prepare(VmRecord vm) {
            log.add("prepare " + vm.state().wire());
        }

        @Override
        public void contribute(VmRecord vm, MachineDraft machine) {
            // registered after SshForward, so its contribution is already in the draft
            log.add("contribute sshPort>0=" + (machine.network().sshPort() > 0));
        }

        @Override
        public void postStart(VmRecord vm) {
            log.add("postStart pid>0=" + (vm.runtime().pid() != null && vm.runtime().pid() > 0));
        }

        @Override
        public void cleanup(VmRecord vm) {
            log.add("cleanup");
        }
    }

    @Test
    void aRegisteredFeatureIsPreparedContributesActsOnceTheAgentAnswersAndIsCleanedUpByTeardown() throws Exception {
        List<String> shared = Collections.synchronizedList(new ArrayList<>());
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward(), new Throwaway(shared)))) {
            VmRecord vm = bed.create("featured");
            assertThat(vm.state()).isEqualTo(VmState.RUNNING);
            assertThat(vm.runtime().sshPort()).as("SshForward's contribution reached the row").isPositive();
            assertThat(bed.vmm.launches.getLast().network().sshPort()).isEqualTo(vm.runtime().sshPort());
            // cleanup_runtime's teardown cleans what a previous run may have left, before anything is prepared
            assertThat(shared).containsExactly("cleanup", "prepare starting", "contribute sshPort>0=true", "postStart pid>0=true");

            bed.vms.kill("featured");
            assertThat(shared).endsWith("postStart pid>0=true", "cleanup");
            assertThat(bed.vmm.running()).isZero();
        }
    }

    static List<String> steps() {
        return STEPS;
    }

    /** Every start step (StartStepsTest checks that STEPS is the pipeline's own list). */
    @ParameterizedTest
    @MethodSource("steps")
    void aFaultAfterAnyStepEndsTheRollbackWithTheFeaturesCleanup(String step) throws Exception {
        List<String> shared = Collections.synchronizedList(new ArrayList<>());
        try (VmTestBed bed = new VmTestBed(home, step, List.of(new SshForward(), new Throwaway(shared)))) {
            Throwable failure = catchThrowable(() -> bed.create("faulty"));
            assertThat(failure).hasMessageContaining("injected fault after step " + step);

            int reached = STEPS.indexOf(step);
            List<String> expected = new ArrayList<>();
            if (reached >= STEPS.indexOf("cleanup_runtime")) expected.add("cleanup");
            if (reached >= STEPS.indexOf("host_features")) expected.addAll(List.of("prepare starting", "contribute sshPort>0=true"));
            if (reached >= STEPS.indexOf("wait_agent")) expected.add("postStart pid>0=true");
            expected.add("cleanup");
            assertThat(shared).as("feature calls with a fault after %s", step).containsExactlyElementsOf(expected);

            VmRecord row = bed.store.vmByName("faulty").orElseThrow();
            assertThat(row.state()).isEqualTo(VmState.ERROR);
            assertThat(row.runtime().pid()).isNull();
            assertThat(bed.vmm.running()).as("no fake VMM left running").isZero();
            // Nothing the start made is left (StartRollbackE2eTest checks the same with a real QEMU from vmm_launch on).
            Path dir = bed.vmDir(row);
            assertThat(Path.of(row.runtime().overlayPath())).doesNotExist();
            assertThat(Path.of(row.runtime().workDiskPath())).doesNotExist();
            assertThat(Path.of(row.runtime().initrdPath())).doesNotExist();
            assertThat(dir.resolve(HandleStore.FILE)).doesNotExist();
            assertThat(bed.vmm.runtimeFiles(bed.vmm.machine(row.id(), dir, bed.runtimeDir))).allSatisfy(f -> assertThat(f).doesNotExist());
            bed.vms.remove("faulty", false);
            assertThat(dir).doesNotExist();
        }
    }
}
