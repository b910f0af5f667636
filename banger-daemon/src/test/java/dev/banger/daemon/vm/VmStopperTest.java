package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** stop, kill, rm and prune against the fake driver, and a kill cutting a stop's wait short. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VmStopperTest {
    @TempDir Path home;

    @Test
    void stopAsksTheGuestAndKeepsTheDisksButNotTheRuntimeFiles() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("box");
            VmRecord stopped = bed.vms.stop("box", Duration.ofSeconds(30));
            assertThat(stopped.state()).isEqualTo(VmState.STOPPED);
            assertThat(stopped.runtime().pid()).isNull();
            assertThat(stopped.runtime().lastError()).isNull();
            assertThat(bed.vmm.running()).isZero();
            assertThat(Path.of(vm.runtime().workDiskPath())).isRegularFile();
            assertThat(Path.of(vm.runtime().overlayPath())).isRegularFile();
            assertThat(Path.of(vm.runtime().agentSocket())).doesNotExist();
            assertThat(bed.log).doesNotContain("deleteVmDir " + vm.id());
        }
    }

    @Test
    void rmOfARunningVmIsRefusedWithoutForceAndRemovesEverythingWithIt() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord vm = bed.create("box");
            int before = bed.log.size();
            assertThatThrownBy(() -> bed.vms.remove("box", false)).isInstanceOf(RpcException.class)
                    .hasMessage("vm box is running; stop it first or use --force");
            assertThat(bed.log).hasSize(before);
            assertThat(bed.vmm.running()).isOne();

            bed.vms.remove("box", true);
            assertThat(bed.store.vmById(vm.id())).isEmpty();
            assertThat(bed.vmDir(vm)).doesNotExist();
            assertThat(bed.vmm.running()).isZero();
            assertThat(bed.log).endsWith("deleteVmDir " + vm.id());
        }
    }

    @Test
    void pruneRemovesWhatIsNotRunningAndLeavesTheRest() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()))) {
            VmRecord running = bed.create("runs");
            VmRecord idle = bed.vms.create(new dev.banger.core.api.VmCreateParams("idle", null, null, 128, "16M", true, false),
                    dev.banger.core.ProgressSink.NONE);
            assertThat(bed.vms.prune()).extracting(VmRecord::id).containsExactly(idle.id());
            assertThat(bed.store.vmById(running.id())).isPresent();
            assertThat(bed.store.vmById(idle.id())).isEmpty();
            bed.vms.kill("runs");
        }
    }

    @Test
    void aKillCutsShortAStopThatWaitsOnAFrozenGuest() throws Exception {
        // Own threads: the common pool may have a single one on a small machine, and the stop holds it.
        try (VmTestBed bed = new VmTestBed(home, null, List.of(new SshForward()));
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            bed.create("frozen");
            bed.vmm.frozen = true;
            CompletableFuture<VmRecord> stop = CompletableFuture.supplyAsync(() -> {
                try {
                    return bed.vms.stop("frozen", Duration.ofMinutes(10));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            Thread.sleep(500);  // the stop is now waiting on the guest, holding the VM's lock
            assertThat(stop).isNotDone();
            long t0 = System.nanoTime();
            CompletableFuture<VmRecord> kill = CompletableFuture.supplyAsync(() -> {
                try {
                    return bed.vms.kill("frozen");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            assertThat(stop.get(20, TimeUnit.SECONDS).state()).isEqualTo(VmState.STOPPED);
            assertThat(kill.get(20, TimeUnit.SECONDS).state()).isEqualTo(VmState.STOPPED);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
            assertThat(bed.vmm.running()).isZero();
        }
    }
}
