package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The start steps against the fake driver: their names and stages (an interface), what a start leaves, what a failed launch undoes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StartStepsTest {
    @TempDir Path home;

    @Test
    void theStepNamesAndProgressStagesAreTheDocumentedOnes() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            StartSteps steps = new StartSteps(new StartSteps.Parts(bed.runtimeDir, null, null, bed.vmm, bed.host, null, null,
                    null, null, null, null, null, null, CrashPoints.NONE, null));
            assertThat(steps.steps()).extracting(StartStep::name).containsExactlyElementsOf(VmFeatureRegistrationTest.STEPS);
            assertThat(steps.steps()).extracting(StartStep::stage).containsExactly("preflight", null, null, "prepare_rootfs",
                    "prepare_rootfs", "prepare_rootfs", "prepare_host_features", "boot_firecracker", "wait_vsock_agent", "finalize");
            assertThat(steps.steps().get(7).detail()).isEqualTo("starting fake");
        }
    }

    @Test
    void aStartRecordsTheDriversProcessOnDiskAndOnTheRowAndUsesItsRootDiskStrategy() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("box");
            assertThat(vm.state()).isEqualTo(VmState.RUNNING);
            assertThat(bed.row(vm.id())).isEqualTo(vm);
            long pid = vm.runtime().pid();
            assertThat(bed.vmm.process(pid, VmMachines.of(vm)).alive()).isTrue();
            assertThat(vm.runtime().vmm()).isEqualTo("fake");
            assertThat(vm.runtime().accel()).isEqualTo("tcg");
            assertThat(HandleStore.readFile(bed.vmDir(vm))).contains(
                    new VmHandles(pid, "fake", vm.runtime().qmpSocket(), vm.runtime().agentSocket()));
            Path root = Path.of(vm.runtime().overlayPath());
            assertThat(root.getFileName().toString()).isEqualTo("root.raw");
            // The fake driver's raw copy of the base, made the root size long (the default, 8 GiB).
            assertThat(Files.mismatch(root, Path.of(bed.image.rootfsPath()))).as("the fake driver's raw copy")
                    .isEqualTo(Files.size(Path.of(bed.image.rootfsPath())));
            assertThat(Files.size(root)).isEqualTo(vm.spec().rootDiskBytes()).isEqualTo(8L << 30);
            assertThat(Path.of(vm.runtime().workDiskPath())).isRegularFile();
            assertThat(Path.of(vm.runtime().initrdPath())).isRegularFile();
            // prepare_sockets removes the driver's runtime files before the launch
            assertThat(bed.log).containsSubsequence("removeRuntimeFile " + vm.id() + ".ctl", "removeRuntimeFile " + vm.id() + ".agent",
                    "removeRuntimeFile fake.pid", "launchVmm " + vm.id());
            bed.vms.kill("box");
        }
    }

    @Test
    void aLaunchThatFailsHalfWayIsUndoneByThePidTheVmmRecordedForItself() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            bed.vmm.failNextLaunchAfterStart = true;
            Throwable failure = catchThrowable(() -> bed.create("half"));
            assertThat(failure).hasMessageContaining("fake vmm failed half-way");
            long pid = Long.parseLong(bed.log.stream().filter(e -> e.startsWith("killVmm ")).findFirst().orElseThrow().substring(8));
            assertThat(pid).isPositive();
            assertThat(bed.vmm.running()).isZero();
            VmRecord row = bed.store.vmByName("half").orElseThrow();
            assertThat(row.state()).isEqualTo(VmState.ERROR);
            assertThat(Path.of(row.runtime().overlayPath())).doesNotExist();
            assertThat(Path.of(row.runtime().workDiskPath())).doesNotExist();
            assertThat(bed.vmDir(row).resolve(HandleStore.FILE)).doesNotExist();
            assertThat(bed.vmDir(row).resolve(FakeVmm.PID_FILE)).doesNotExist();
        }
    }

    @Test
    void aStoppedVmKeepsItsDisksAndStartsAgainOnThem() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("again");
            bed.vms.kill("again");
            Path work = Path.of(vm.runtime().workDiskPath());
            Files.writeString(work, "marker", java.nio.file.StandardOpenOption.APPEND);
            byte[] before = Files.readAllBytes(work);
            VmRecord restarted = bed.vms.start("again", dev.banger.core.ProgressSink.NONE);
            assertThat(restarted.state()).isEqualTo(VmState.RUNNING);
            assertThat(Arrays.equals(Files.readAllBytes(work), before)).as("the work disk was not recreated").isTrue();
            bed.vms.kill("again");
        }
    }
}
