package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.VmCreateParams;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.core.ProgressSink;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The idle-stop poller over the whole VmService with the fake driver. A bridged VM's host reaches
 * the guest's address directly, so no QEMU user network sees its connections: the poller reads the
 * guest's socket table instead (here a stand-in for the agent exec; GuestTcpTableTest parses real
 * kernel text). The CPU threshold is out of reach, so only connections can keep the VM up.
 */
class IdleStopsTest {
    private static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    private static final String SSHD_LISTENS = "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1\n";
    private static final String SSH_FROM_HOST = "   1: 05004D0A:0016 01004D0A:C350 01 00000000:00000000 00:00000000 00000000     0        0 5 1\n";

    @TempDir
    Path home;

    @Test
    void aBridgedVmWithAnOpenSshSessionIsKeptAndStopsOnceItCloses() throws Exception {
        try (VmTestBed bed = VmTestBed.bridged(home, null)) {
            VmRecord vm = bed.vms.create(new VmCreateParams("quiet", null, null, 128, "16M", false, false, null, null, false, "1m"),
                    ProgressSink.NONE);
            AtomicReference<String> table = new AtomicReference<>(HEADER + SSHD_LISTENS + SSH_FROM_HOST);
            AtomicInteger reads = new AtomicInteger();
            TestClock clock = new TestClock(Instant.parse("2026-12-02T10:00:00Z"));
            IdleStops poller = new IdleStops(bed.vms, v -> {
                reads.incrementAndGet();
                return table.get();
            }, 1000.0, Duration.ofSeconds(5), Duration.ofSeconds(5), clock);

            poller.pollOnce();
            clock.advance(Duration.ofMinutes(2));
            poller.pollOnce();
            assertThat(bed.row(vm.id()).state()).as("an ssh session is open, two idle-stop periods in").isEqualTo(VmState.RUNNING);
            assertThat(reads.get()).as("the guest's table was read at each poll").isEqualTo(2);

            table.set(HEADER + SSHD_LISTENS);
            clock.advance(Duration.ofSeconds(30));
            poller.pollOnce();
            assertThat(bed.row(vm.id()).state()).as("closed 30 s ago, idle stop 1 min").isEqualTo(VmState.RUNNING);
            clock.advance(Duration.ofSeconds(31));
            poller.pollOnce();
            VmRecord stopped = bed.row(vm.id());
            assertThat(stopped.state()).isEqualTo(VmState.STOPPED);
            assertThat(stopped.runtime().lastError()).contains("idle stop");
        }
    }

    @Test
    void aRootlessVmsConnectionsComeFromTheVmmNotTheGuest() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, java.util.List.of(new SshForward(), new PortForwards()))) {
            bed.vms.create(new VmCreateParams("local", null, null, 128, "16M", false, false, null, null, false, "1m"),
                    ProgressSink.NONE);
            AtomicInteger reads = new AtomicInteger();
            IdleStops poller = new IdleStops(bed.vms, v -> {
                reads.incrementAndGet();
                return HEADER + SSHD_LISTENS + SSH_FROM_HOST;
            }, 1000.0, Duration.ofSeconds(5), Duration.ofSeconds(5), new TestClock(Instant.parse("2026-12-02T10:00:00Z")));
            poller.pollOnce();
            assertThat(reads.get()).as("QEMU's user network sees every rootless connection").isZero();
        }
    }

    /**
     * Regression: vm cp ran its agent session outside VmExec and was not counted as activity, so an
     * idle stop could stop a VM under a copy whose guest side was waiting (a slow client: little CPU).
     */
    @Test
    void aVmCpInProgressKeepsTheVmRunning() throws Exception {
        try (VmTestBed bed = new VmTestBed(home, null, java.util.List.of(new SshForward(), new PortForwards()))) {
            VmRecord vm = bed.vms.create(new VmCreateParams("copying", null, null, 128, "16M", false, false, null, null, false, "1m"),
                    ProgressSink.NONE);
            TestClock clock = new TestClock(Instant.now());   // VmActivity stamps an exec's end with the real clock
            IdleStops poller = new IdleStops(bed.vms, v -> "", 1000.0, Duration.ofSeconds(5), Duration.ofSeconds(5), clock);
            java.util.concurrent.CountDownLatch copyEnds = new java.util.concurrent.CountDownLatch(1);
            bed.vmm.execsExit = copyEnds;
            VmCp cp = new VmCp(bed.vms, new VmExec(bed.vms, bed.vms.agents()));
            var copy = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return cp.out(new dev.banger.core.api.VmCpOutParams("copying", "/root/big", false), dev.banger.daemon.rpc.CallContext.detached());
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (bed.vms.activity().openExecs(vm.id()) == 0 && System.nanoTime() < deadline) Thread.sleep(10);

            poller.pollOnce();
            clock.advance(Duration.ofMinutes(2));
            poller.pollOnce();
            assertThat(bed.row(vm.id()).state()).as("a copy is running, two idle-stop periods in").isEqualTo(VmState.RUNNING);

            copyEnds.countDown();
            copy.get(10, java.util.concurrent.TimeUnit.SECONDS);
            clock.advance(Duration.ofMinutes(2));
            poller.pollOnce();
            assertThat(bed.row(vm.id()).state()).as("the copy ended two minutes ago").isEqualTo(VmState.STOPPED);
        }
    }

    /** A clock the test moves by hand. */
    static final class TestClock extends Clock {
        private volatile Instant now;

        TestClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
