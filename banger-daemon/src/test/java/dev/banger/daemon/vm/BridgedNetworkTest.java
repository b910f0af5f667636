package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.banger.core.ProgressSink;
import dev.banger.core.api.VmCreateParams;
import dev.banger.core.model.PortForward;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.forward.HostRelays;
import dev.banger.daemon.vmm.MachineSpec;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bridged mode through the whole VmService with the fake driver and a recording stand-in for the
 * root helper (RecordingHostOperations answers as a helper would; the helper itself is tested in
 * banger-roothelper against real taps, and the bridged e2e runs both with QEMU in namespaces).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BridgedNetworkTest {
    @TempDir Path home;

    private static VmRecord create(VmTestBed bed, String name, boolean nat) throws Exception {
        return bed.vms.create(new VmCreateParams(name, null, null, 128, "16M", false, false, null, null, nat), ProgressSink.NONE);
    }

    private static String tapOf(String id) {
        return "bt" + id.substring(0, 12);
    }

    @Test
    void theTapIsOnDiskAndOnTheRowBeforeTheVmmIsLaunchedAndTheMachineUsesIt() throws Exception {
        try (VmTestBed bed = VmTestBed.bridged(home, null)) {
            List<String> seenAtLaunch = new CopyOnWriteArrayList<>();
            bed.host.observe(entry -> {
                if (!entry.startsWith("launchVmm ")) return;
                String id = entry.substring("launchVmm ".length());
                VmRecord row = bed.row(id);
                Path handles = Path.of(row.runtime().vmDir()).resolve(HandleStore.FILE);
                seenAtLaunch.add("row tap=" + row.runtime().tap());
                seenAtLaunch.add("handles tap=" + HandleStore.readFile(handles.getParent()).map(VmHandles::tap).orElse(null));
            });
            VmRecord vm = create(bed, "web", false);

            String tap = tapOf(vm.id());
            assertThat(seenAtLaunch).containsExactly("row tap=" + tap, "handles tap=" + tap);
            assertThat(vm.state()).isEqualTo(VmState.RUNNING);
            assertThat(vm.runtime().bridged()).isTrue();
            assertThat(vm.runtime().guestIp()).startsWith("10.77.0.");
            assertThat(vm.runtime().sshPort()).as("no 127.0.0.1 forward for a bridged VM").isIn(null, 0);
            MachineSpec launched = bed.vmm.launches.getLast();
            assertThat(launched.network().tap()).isEqualTo(tap);
            assertThat(launched.network().mac()).isEqualTo(BridgedNetwork.mac(vm.id()));
            assertThat(launched.network().gateway()).isEqualTo("10.77.0.1");
            assertThat(launched.network().dns()).isEqualTo("10.77.0.1");
            assertThat(bed.log).containsSubsequence("ensureBridge", "createTap " + vm.id(), "launchVmm " + vm.id(),
                    "setDnsRecords web=" + vm.runtime().guestIp());
            assertThat(bed.log).noneMatch(e -> e.startsWith("enableNat"));
            assertThat(HandleStore.readFile(bed.vmDir(vm)).orElseThrow().tap()).isEqualTo(tap);
        }
    }

    @Test
    void natIsEnabledForTheVmsAddressWhenAskedFor() throws Exception {
        try (VmTestBed bed = VmTestBed.bridged(home, null)) {
            VmRecord vm = create(bed, "out", true);
            assertThat(vm.spec().nat()).isTrue();
            assertThat(bed.log).containsSubsequence("createTap " + vm.id(), "enableNat " + vm.id() + " " + vm.runtime().guestIp(),
                    "launchVmm " + vm.id());
        }
    }

    @Test
    void aStopRemovesTheRecordTheNatAndTheTapAndClearsTheTapEverywhere() throws Exception {
        try (VmTestBed bed = VmTestBed.bridged(home, null)) {
            VmRecord a = create(bed, "a", true);
            VmRecord b = create(bed, "b", false);
            bed.log.clear();
            VmRecord stopped = bed.vms.stop("a", Duration.ofSeconds(5));

            assertThat(stopped.runtime().tap()).isNull();
            assertThat(bed.row(a.id()).runtime().tap()).isNull();
            assertThat(Files.exists(bed.vmDir(a).resolve(HandleStore.FILE))).isFalse();
            assertThat(bed.log).contains("setDnsRecords b=" + b.runtime().guestIp(), "disableNat " + a.id(), "deleteTap " + a.id());
            assertThat(bed.log).noneMatch(e -> e.contains("deleteTap " + b.id()));
        }
    }

    @Test
    void cleanupGoesOnWhenTheHelperFailsAndReportsEveryFailure() throws Exception {
        try (VmTestBed bed = VmTestBed.bridged(home, null)) {
            VmRecord vm = create(bed, "c", true);
            bed.host.failOn("disableNat " + vm.id(), new IOException("nft said no"))
                    .failOn("setDnsRecords ", new IOException("dns down"));
            bed.log.clear();
            Throwable thrown = catchThrowable(() -> bed.vms.remove("c", true));

            assertThat(bed.log).contains("disableNat " + vm.id(), "deleteTap " + vm.id());
            assertThat(thrown).isNotNull();
            assertThat(thrown.toString() + List.of(thrown.getSuppressed())).contains("nft said no").contains("dns down");
        }
    }

    @Test
    void aStartThatFailsAfterTheTapExistsDeletesItInTheRollback() throws Exception {
        try (VmTestBed bed = VmTestBed.bridged(home, "vmm_launch")) {
            Throwable thrown = catchThrowable(() -> create(bed, "f", true));
            assertThat(thrown).isNotNull();
            VmRecord row = bed.store.vmByName("f").orElseThrow();
            assertThat(row.state()).isEqualTo(VmState.ERROR);
            assertThat(bed.log).containsSubsequence("createTap " + row.id(), "enableNat " + row.id() + " " + row.runtime().guestIp(),
                    "launchVmm " + row.id(), "disableNat " + row.id(), "deleteTap " + row.id());
            assertThat(row.runtime().tap()).isNull();
        }
    }

    @Test
    void aRestartedDaemonReconcilesTheNetworkAgainstTheRunningVmsAndRebuildsTheRecords() throws Exception {
        try (VmTestBed bed = VmTestBed.bridged(home, null)) {
            VmRecord live = create(bed, "live", false);
            VmRecord gone = create(bed, "gone", false);
            bed.vms.stop("gone", Duration.ofSeconds(5));
            bed.log.clear();
            List<String> report = bed.restartedDaemon().reconcile();

            assertThat(bed.log).containsSubsequence("reconcileNetwork [" + live.id() + "]", "setDnsRecords live=" + live.runtime().guestIp());
            assertThat(report).anyMatch(line -> line.startsWith("live: running"));
            assertThat(gone.id()).isNotEqualTo(live.id());
        }
    }

    @Test
    void natIsRefusedWithRootlessNetworking() throws Exception {
        try (VmTestBed rootless = new VmTestBed(Files.createDirectories(home.resolve("r")), null, List.of(new SshForward()))) {
            assertThatThrownBy(() -> create(rootless, "n", true)).isInstanceOf(RpcException.class)
                    .hasMessageContaining("--nat needs bridged networking");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Whether something holds the TCP or UDP port on 127.0.0.1: the one true answer is trying to bind it. */
    private static boolean held(PortForward f) {
        InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), f.hostPort());
        try {
            if (f.protocol() == PortForward.Protocol.TCP) {
                try (ServerSocket s = new ServerSocket()) {
                    s.bind(at);
                }
            } else {
                try (DatagramSocket s = new DatagramSocket(null)) {
                    s.bind(at);
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * A bridged guest's forwards are bangerd's own relays (no VMM forward reaches its address): bound
     * once the start is done, changed live, closed by the stop, and opened again by the reconcile of
     * a restarted bangerd, whose predecessor's relays died with it.
     */
    @Test
    void aBridgedVmsForwardsAreBoundWhileItRunsChangedLiveAndOpenedAgainAfterABangerdRestart() throws Exception {
        PortForwards forwards = new PortForwards(HostPorts.ofThisProcess(), new HostRelays());
        try (VmTestBed bed = new VmTestBed(home, null, java.util.Map.of("BANGER_NETWORK", "bridged"), (host, store, config) ->
                List.of(new SshForward(), forwards, new BridgedNetwork(host, new GuestNetworks(config, host), new DnsPublisher(store, host))))) {
            PortForward web = PortForward.parse(freePort() + ":80");
            PortForward dns = PortForward.parse(freePort() + ":53/udp");
            VmRecord vm = bed.vms.create(new VmCreateParams("p", null, null, 128, "16M", false, false, List.of(web, dns), null, false),
                    ProgressSink.NONE);
            assertThat(bed.vmm.launches.getLast().network().forwards()).as("not the VMM's to bind").isEmpty();
            assertThat(forwards.relays().forwardsOf(vm.id())).containsExactly(web, dns);
            assertThat(held(web)).isTrue();
            assertThat(held(dns)).isTrue();

            PortForward live = PortForward.parse(freePort() + ":81");
            bed.vms.ports().add("p", live);
            assertThat(held(live)).isTrue();
            try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                PortForward busy = PortForward.parse(taken.getLocalPort() + ":82");
                assertThatThrownBy(() -> bed.vms.ports().add("p", busy)).isInstanceOf(RpcException.class).hasMessageContaining("is in use");
            }
            assertThat(bed.row(vm.id()).spec().portForwards()).containsExactly(web, dns, live);
            bed.vms.ports().remove("p", live);
            assertThat(held(live)).isFalse();

            forwards.relays().closeAll(vm.id());   // what bangerd's death does to them
            assertThat(held(web)).isFalse();
            VmService restarted = bed.restartedDaemon();
            assertThat(restarted.reconcile()).contains("feature port_forwards: p: forward " + web + " opened",
                    "feature port_forwards: p: forward " + dns + " opened");
            assertThat(held(web)).isTrue();

            restarted.stop("p", Duration.ofSeconds(10));
            assertThat(held(web)).isFalse();
            assertThat(held(dns)).isFalse();
            assertThat(forwards.relays().vmIds()).isEmpty();
            assertThat(bed.row(vm.id()).spec().portForwards()).as("kept for the next start").containsExactly(web, dns);
        }
    }

    @Test
    void aMissingTunDeviceIsNamedWithItsFixBeforeQemuWouldFailOnIt() {
        assertThatThrownBy(() -> BridgedNetwork.requireTunUsable(home.resolve("no-tun")))
                .isInstanceOf(IOException.class).hasMessageContaining("missing").hasMessageContaining("modprobe tun");
    }

    @Test
    void theMacIsLocallyAdministeredUnicastAndStable() {
        assertThat(BridgedNetwork.mac("0123456789abcdef")).isEqualTo("02:01:23:45:67:89");
        assertThat(BridgedNetwork.mac("0123456789abcdef")).isEqualTo(BridgedNetwork.mac("0123456789abcdef"));
    }
}
