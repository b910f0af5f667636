package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a restarted bangerd does with the store (adopt, clean, kill orphans), and the exit watcher. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReconcilerTest {
    @TempDir Path home;

    @Test
    void aRunningVmWhoseVmmIsAliveIsAdoptedAndCanBeKilledByTheNewDaemon() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("alive");
            VmService restarted = bed.restartedDaemon();
            assertThat(restarted.reconcile()).containsExactly("alive: running");
            assertThat(restarted.requireRunning("alive").id()).isEqualTo(vm.id());
            restarted.kill("alive");
            assertThat(bed.vmm.running()).isZero();
            assertThat(bed.log).contains("killVmm " + vm.runtime().pid());
        }
    }

    @Test
    void aRunningVmWhoseVmmDiedWhileTheDaemonWasDownIsCleanedAndStopped() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("gone");
            VmService restarted = bed.restartedDaemon();
            ProcessHandle vmmProcess = ProcessHandle.of(vm.runtime().pid()).orElseThrow();
            vmmProcess.destroyForcibly();
            vmmProcess.onExit().get(10, TimeUnit.SECONDS);
            assertThat(restarted.reconcile()).contains("gone: cleaned, now stopped");
            VmRecord row = bed.row(vm.id());
            assertThat(row.state()).isEqualTo(VmState.STOPPED);
            assertThat(row.runtime().lastError()).startsWith("vm exited while bangerd was down");
            assertThat(bed.vmDir(vm)).as("reconcile deletes nothing on disk").isDirectory();
        }
    }

    @Test
    void aStartThatTheCrashInterruptedIsRolledBackAndAnOrphanVmmIsKilled() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("mid");
            long pid = vm.runtime().pid();
            // as if the daemon died between the launch and persist: the row says starting and names no process
            bed.store.upsertVm(vm.withState(VmState.STARTING).withRuntime(vm.runtime().stopped()));
            List<String> report = bed.restartedDaemon().reconcile();
            assertThat(report).contains("mid: cleaned, now stopped");
            assertThat(bed.row(vm.id()).runtime().lastError())
                    .startsWith("bangerd stopped while the vm was starting; the start was rolled back");
            assertThat(bed.log).contains("killVmm " + pid);
            assertThat(bed.vmm.running()).isZero();
        }
    }

    @Test
    void aVmmThatNoRunningVmOwnsIsKilledWhateverItsRowSays() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("orphaned");
            long pid = vm.runtime().pid();
            // the row says stopped and knows no process, handles.json is gone: only the process itself is left
            bed.store.upsertVm(vm.withState(VmState.STOPPED).withRuntime(vm.runtime().stopped()));
            java.nio.file.Files.delete(bed.vmDir(vm).resolve(HandleStore.FILE));
            List<String> report = bed.restartedDaemon().reconcile();
            assertThat(report).containsExactly("orphan vmm pid " + pid + " of vm " + vm.id() + ": killed");
            assertThat(bed.vmm.running()).isZero();
        }
    }

    /** CI saw the old daemon's watcher beat the restarted daemon's reconcile to a VMM's death. */
    @Test
    void aDaemonThatStoppedWatchingLeavesAVmmDeathToTheNextDaemon() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("left");
            bed.vms.stopWatching();
            ProcessHandle vmmProcess = ProcessHandle.of(vm.runtime().pid()).orElseThrow();
            vmmProcess.destroyForcibly();
            vmmProcess.onExit().get(10, TimeUnit.SECONDS);
            Thread.sleep(1_500); // six of the watcher's 250 ms polls
            assertThat(bed.row(vm.id()).state()).as("only a running daemon's watcher may mark it stopped")
                    .isEqualTo(VmState.RUNNING);
        }
    }

    @Test
    void theExitWatcherMarksAVmStoppedWhenItsGuestPowersOff() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("watched");
            ProcessHandle.of(vm.runtime().pid()).orElseThrow().destroy();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (bed.row(vm.id()).state() == VmState.RUNNING && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(bed.row(vm.id()).state()).isEqualTo(VmState.STOPPED);
            assertThat(bed.log).contains("removeRuntimeFile " + vm.id() + ".agent");
        }
    }
}
