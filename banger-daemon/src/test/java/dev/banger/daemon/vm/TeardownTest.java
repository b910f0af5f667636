package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmSpec;
import dev.banger.core.model.VmState;
import dev.banger.daemon.host.HostOperations;
import dev.banger.daemon.host.RecordingHostOperations;
import dev.banger.daemon.vmm.MachineSpec;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Teardown's contract (docs/architecture.md, "Crash safety"), checked with recording host operations
 * that do nothing real: the VMM is killed by every PID on record (handles, then the VMM's own pidfile)
 * before its runtime files go, features are cleaned in reverse registration order after it, the VM
 * dir last; and an operation that throws never stops the ones after it: their errors are joined.
 */
class TeardownTest {
    @TempDir Path home;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final FakeVmm vmm = new FakeVmm();
    private final HandleStore handles = new HandleStore();

    @AfterEach
    void endFakes() throws InterruptedException {
        vmm.close();
    }

    /** Logs its cleanup; throws when told to. */
    private VmFeature feature(String name, Exception failure) {
        return new VmFeature() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void cleanup(VmRecord vm) throws Exception {
                log.add("cleanup " + name);
                if (failure != null) throw failure;
            }
        };
    }

    private Teardown teardown(RecordingHostOperations host, VmFeature... features) {
        return new Teardown(vmm, host, new GuestAgents(), handles, new Features(List.of(features)));
    }

    /** A VM whose handles name PID 4242 and whose VMM recorded PID 4343 for itself (a second process). */
    private VmRecord vmWithTwoPids() throws IOException {
        Path vmDir = Files.createDirectories(home.resolve("vms/00000000000000aa"));
        var machine = vmm.machine("00000000000000aa", vmDir, home.resolve("run"));
        VmRecord vm = new VmRecord("00000000000000aa", "t", "img", VmState.RUNNING, Instant.now(), Instant.now(),
                new VmSpec(1, 128, 16L << 20), new VmRuntime("172.30.0.10", "t.vm", vmDir.toString(),
                vmDir.resolve("root.raw").toString(), vmDir.resolve("work.ext4").toString(), vmDir.resolve("vm-initrd.img").toString(),
                vmDir.resolve("console.log").toString(), machine.controlSocket().toString(), machine.agentSocket().toString(),
                2222, 4242L, "fake", "tcg", null, Instant.now().toString()));
        handles.set(vm.id(), vmDir, new VmHandles(4242, "fake", machine.controlSocket().toString(), machine.agentSocket().toString()));
        Files.writeString(vmDir.resolve(FakeVmm.PID_FILE), "4343");
        return vm;
    }

    @Test
    void killsEveryRecordedPidThenRemovesRuntimeFilesThenCleansFeaturesInReverseThenDeletesTheVmDir() throws Exception {
        VmRecord vm = vmWithTwoPids();
        teardown(new RecordingHostOperations(log, null), feature("a", null), feature("b", null)).run(vm, false, true);
        assertThat(log).containsExactly("killVmm 4242", "killVmm 4343",
                "removeRuntimeFile 00000000000000aa.ctl", "removeRuntimeFile 00000000000000aa.agent", "removeRuntimeFile fake.pid",
                "cleanup b", "cleanup a", "deleteVmDir 00000000000000aa");
        assertThat(handles.cached(vm.id())).isEmpty();
        assertThat(HandleStore.readFile(Path.of(vm.runtime().vmDir()))).as("handles.json cleared").isEmpty();
    }

    @Test
    void aStopTerminatesInsteadOfKillingAndKeepsTheDisks() throws Exception {
        VmRecord vm = vmWithTwoPids();
        teardown(new RecordingHostOperations(log, null), feature("a", null)).run(vm, true, false);
        assertThat(log).containsExactly("terminateVmm 4242", "terminateVmm 4343",
                "removeRuntimeFile 00000000000000aa.ctl", "removeRuntimeFile 00000000000000aa.agent", "removeRuntimeFile fake.pid",
                "cleanup a");
    }

    @Test
    void everyOperationAfterAFailingOneStillRunsAndTheErrorsAreJoined() throws Exception {
        VmRecord vm = vmWithTwoPids();
        RecordingHostOperations host = new RecordingHostOperations(log, null)
                .failOn("killVmm 4242", new IllegalStateException("kill refused"))
                .failOn("removeRuntimeFile 00000000000000aa.ctl", new IOException("socket busy"))
                .failOn("deleteVmDir 00000000000000aa", new IOException("dir busy"));
        Throwable thrown = catchThrowable(() -> teardown(host, feature("a", null), feature("b", new IOException("tap busy")))
                .run(vm, false, true));
        assertThat(log).containsExactly("killVmm 4242", "killVmm 4343",
                "removeRuntimeFile 00000000000000aa.ctl", "removeRuntimeFile 00000000000000aa.agent", "removeRuntimeFile fake.pid",
                "cleanup b", "cleanup a", "deleteVmDir 00000000000000aa");
        assertThat(thrown).isInstanceOf(IOException.class)
                .hasMessage("kill refused; socket busy; feature b: tap busy; dir busy");
        assertThat(thrown.getSuppressed()).hasSize(4);
        assertThat(handles.cached(vm.id())).as("handles cleared despite the errors").isEmpty();
    }

    @Test
    void aVmmThatDoesNotExitIsAnErrorAndTheRestStillRuns() throws Exception {
        VmRecord vm = vmWithTwoPids();
        // A host whose kill reports the process still there (the real one waits 5 s for it to go).
        RecordingHostOperations host = new RecordingHostOperations(log, new HostOperations() {
            @Override
            public long launchVmm(Vmm driver, MachineSpec spec) {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean killVmm(VmmProcess process) {
                return process.pid() != 4343;
            }

            @Override
            public boolean terminateVmm(VmmProcess process, Duration grace) {
                return true;
            }

            @Override
            public void removeRuntimeFile(Path path) { }

            @Override
            public void deleteVmDir(Path vmDir) { }

            @Override
            public dev.banger.roothelper.api.BridgeInfo ensureBridge() {
                throw new UnsupportedOperationException();
            }

            @Override
            public dev.banger.roothelper.api.TapInfo createTap(String vmId) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void deleteTap(String vmId) { }

            @Override
            public dev.banger.roothelper.api.NatInfo enableNat(String vmId, String guestIp) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void disableNat(String vmId) { }

            @Override
            public dev.banger.roothelper.api.DnsInfo setDnsRecords(List<dev.banger.roothelper.api.DnsRecord> records) {
                throw new UnsupportedOperationException();
            }

            @Override
            public dev.banger.roothelper.api.ReconcileResult reconcileNetwork(List<String> liveVmIds) {
                throw new UnsupportedOperationException();
            }
        });
        Exception e = teardown(host).collect(vm, false, true);
        assertThat(e).hasMessage("vmm pid 4343 is still running");
        assertThat(log).endsWith("deleteVmDir 00000000000000aa");
    }

    @Test
    void withNothingOnRecordNoProcessIsSignalled() throws Exception {
        Path vmDir = Files.createDirectories(home.resolve("vms/00000000000000bb"));
        var machine = vmm.machine("00000000000000bb", vmDir, home.resolve("run"));
        VmRecord vm = new VmRecord("00000000000000bb", "s", "img", VmState.STOPPED, Instant.now(), Instant.now(),
                new VmSpec(1, 128, 16L << 20), new VmRuntime("172.30.0.11", "s.vm", vmDir.toString(), null, null, null, null,
                machine.controlSocket().toString(), machine.agentSocket().toString(), null, null, null, null, null, null));
        assertThat(teardown(new RecordingHostOperations(log, null)).collect(vm, true, true)).isNull();
        assertThat(log).noneMatch(entry -> entry.startsWith("killVmm") || entry.startsWith("terminateVmm"));
        assertThat(log).contains("removeRuntimeFile fake.pid");
    }
}
