package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.daemon.vmm.Machine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression (issue 8.6), the crash points before the VMM is launched: bangerd dies while
 * {@code vm start} prepares a stopped VM, with no guest involved yet, so the daemon test bed covers
 * them (StartCrashE2eTest keeps the points from the launch on, which need a real QEMU). The first
 * daemon stops dead at the point ({@link CrashPoints#simulated}: no rollback, no failed-start row
 * update, as after SIGKILL); a restarted daemon reconciles; then the state says what is true, no VMM
 * process and no runtime file is left, the VM starts normally again, and rm leaves nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StartCrashTest {
    @TempDir Path home;

    @ParameterizedTest
    @ValueSource(strings = {"preflight", "cleanup_runtime", "prepare_sockets", "system_overlay", "work_disk",
            "guest_config", "host_features"})
    void aCrashBeforeTheVmmIsLaunchedLeavesATruthfulStateAndNothingRunning(String point) throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("phoenix");   // a VM that has run once and is stopped, as in the e2e test
            bed.vms.stop("phoenix", Duration.ofSeconds(10));

            VmService crashing = bed.daemonCrashingAfter(point);
            Throwable crash = catchThrowable(() -> crashing.start("phoenix", ProgressSink.NONE));
            assertThat(crash).isInstanceOf(CrashPoints.SimulatedCrash.class).hasMessage("simulated crash after " + point);
            assertThat(bed.row(vm.id()).state()).as("nothing ran after the crash, not even the failed start's row update")
                    .isEqualTo(VmState.STARTING);

            VmService restarted = bed.restartedDaemon();
            assertThat(restarted.reconcile()).contains("phoenix: cleaned, now stopped");
            VmRecord row = bed.row(vm.id());
            assertThat(row.state()).isEqualTo(VmState.STOPPED);
            assertThat(row.runtime().lastError()).contains("while the vm was starting");
            assertThat(row.runtime().pid()).isNull();
            assertThat(bed.vmm.running()).as("no VMM outlives a start the crash interrupted").isZero();
            Machine machine = bed.vmm.machine(vm.id(), bed.vmDir(vm), bed.runtimeDir);   // the driver's layout
            assertThat(bed.vmDir(row).resolve(HandleStore.FILE)).doesNotExist();
            assertThat(bed.vmm.runtimeFiles(machine)).hasSize(3).allSatisfy(file -> assertThat(file).doesNotExist());

            // and it still starts normally afterwards
            assertThat(restarted.start("phoenix", ProgressSink.NONE).state()).isEqualTo(VmState.RUNNING);
            assertThat(bed.vmm.running()).isEqualTo(1);
            restarted.stop("phoenix", Duration.ofSeconds(10));

            restarted.remove("phoenix", true);
            assertThat(bed.vmDir(row)).doesNotExist();
            assertThat(bed.vmm.runtimeFiles(machine)).allSatisfy(file -> assertThat(file).doesNotExist());
            assertThat(bed.vmm.running()).isZero();
        }
    }
}
