package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.ProgressSink;
import dev.banger.core.api.VmCreateParams;
import dev.banger.core.model.PortForward;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Port forwards through a whole VmService (FakeVmm): given at create, restored at start, changed live, refused with the right kind. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VmPortServiceTest {
    @TempDir Path home;
    private VmTestBed bed;

    @BeforeEach
    void setUp() throws Exception {
        bed = new VmTestBed(home, null, List.of(new SshForward(), new PortForwards()));
    }

    @AfterEach
    void tearDown() throws Exception {
        bed.close();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private VmRecord create(String name, boolean noStart, PortForward... forwards) throws Exception {
        return bed.vms.create(new VmCreateParams(name, null, null, 128, "16M", noStart, false, List.of(forwards)), ProgressSink.NONE);
    }

    private static void assertCode(Throwable t, int code, String text) {
        assertThat(t).isInstanceOf(RpcException.class).hasMessageContaining(text);
        assertThat(((RpcException) t).code()).as(t.getMessage()).isEqualTo(code);
    }

    @Test
    void forwardsGivenAtCreateArePersistedAndContributedToEveryLaunch() throws Exception {
        PortForward f = PortForward.parse(freePort() + ":80");
        VmRecord vm = create("web", false, f);
        assertThat(vm.spec().portForwards()).containsExactly(f);
        assertThat(bed.row(vm.id()).spec().portForwards()).containsExactly(f);
        assertThat(bed.vmm.launches.getLast().network().forwards()).containsExactly(f);
        assertThat(bed.vmm.launches.getLast().network().sshPort()).as("the ssh forward is kept beside them").isPositive();

        bed.vms.stop("web", Duration.ofSeconds(5));
        bed.vms.start("web", ProgressSink.NONE);
        assertThat(bed.vmm.launches).hasSize(2);
        assertThat(bed.vmm.launches.getLast().network().forwards()).as("restored at start").containsExactly(f);
        assertThat(bed.vmm.forwardCalls).as("no live call: the launch carries them").isEmpty();
    }

    @Test
    void aHostPortAnotherVmForwardsIsAConflictAndNoVmIsCreated() throws Exception {
        int port = freePort();
        create("first", true, PortForward.parse(port + ":80"));
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> create("second", true, PortForward.parse("0.0.0.0:" + port + ":22")));
        assertCode(t, RpcErrors.CONFLICT, "forwarded by vm first");
        assertThat(bed.store.vmByName("second")).isEmpty();
        // another protocol on the same port is a different host socket
        assertThat(create("third", true, PortForward.parse(port + ":80/udp")).spec().portForwards()).hasSize(1);
    }

    @Test
    void aBusyHostPortRefusesTheCreateAsAConflictBeforeAnyVmExists() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> create("busy", false, PortForward.parse(taken.getLocalPort() + ":80")));
            assertCode(t, RpcErrors.CONFLICT, "127.0.0.1:" + taken.getLocalPort() + "/tcp is in use");
            assertThat(bed.store.vmByName("busy")).isEmpty();
            assertThat(bed.vmm.launches).isEmpty();
        }
    }

    @Test
    void aHostPortTakenWhileTheVmWasStoppedFailsItsStartAsAConflictAndRollsBack() throws Exception {
        int port = freePort();
        create("later", true, PortForward.parse(port + ":80"));
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.start("later", ProgressSink.NONE));
            assertCode(t, RpcErrors.CONFLICT, "is in use");
        }
        assertThat(bed.store.vmByName("later").orElseThrow().state()).isEqualTo(VmState.ERROR);
        assertThat(bed.vmm.launches).isEmpty();
    }

    @Test
    void liveAddAndRemoveGoThroughTheDriverAndThePersistedList() throws Exception {
        VmRecord vm = create("live", false);
        PortForward f = PortForward.parse(freePort() + ":8000");
        assertThat(bed.vms.ports().add("live", f).forwards()).containsExactly(f);
        assertThat(bed.vmm.forwardCalls).containsExactly("add " + f + " to " + vm.runtime().guestIp());
        assertThat(bed.row(vm.id()).spec().portForwards()).containsExactly(f);
        assertThat(bed.vms.ports().list("live").forwards()).containsExactly(f);

        Throwable twice = org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.ports().add("live", f));
        assertCode(twice, RpcErrors.CONFLICT, "already forwards");

        // rm names the forward by its host side only
        assertThat(bed.vms.ports().remove("live", new PortForward(f.hostIp(), f.hostPort(), 1, f.protocol())).forwards()).isEmpty();
        assertThat(bed.vmm.forwardCalls).endsWith("rm " + f.hostSide());
        assertThat(bed.row(vm.id()).spec().portForwards()).isEmpty();

        Throwable gone = org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.ports().remove("live", f));
        assertCode(gone, RpcErrors.NOT_FOUND, "has no forward");
    }

    @Test
    void aLiveAddTheDriverRefusesAsBusyIsAConflictAndLeavesNoRecord() throws Exception {
        VmRecord vm = create("refused", false);
        PortForward f = PortForward.parse(freePort() + ":8000");
        bed.vmm.busyHostSides.add(f.hostSide());
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.ports().add("refused", f));
        assertCode(t, RpcErrors.CONFLICT, "is in use");
        assertThat(bed.row(vm.id()).spec().portForwards()).isEmpty();
    }

    @Test
    void addingToAStoppedVmOnlyPersistsAndItsNextStartBindsIt() throws Exception {
        create("cold", true);
        PortForward f = PortForward.parse(freePort() + ":8000/udp");
        bed.vms.ports().add("cold", f);
        assertThat(bed.vmm.forwardCalls).isEmpty();
        bed.vms.start("cold", ProgressSink.NONE);
        assertThat(bed.vmm.launches.getLast().network().forwards()).containsExactly(f);
    }

    @Test
    void privilegedAndRepeatedHostPortsAreInvalidInput() {
        VmPortService rules = new VmPortService(null, null, null, null, java.util.Optional.empty(), new HostPorts(1024));
        assertThatThrownBy(() -> rules.checkRequested(List.of(PortForward.parse("80:80"))))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(RpcErrors.INVALID_PARAMS))
                .hasMessageContaining("privileged");
        assertThatThrownBy(() -> rules.checkRequested(List.of(PortForward.parse("8080:80"), PortForward.parse("0.0.0.0:8080:81"))))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(RpcErrors.INVALID_PARAMS))
                .hasMessageContaining("twice");
        rules.checkRequested(List.of(PortForward.parse("1024:80"), PortForward.parse("8080:80"), PortForward.parse("8080:80/udp")));
        new VmPortService(null, null, null, null, java.util.Optional.empty(), new HostPorts(0)).checkRequested(List.of(PortForward.parse("80:80")));
    }

    @Test
    void anAddressThatIsNotThisHostsIsInvalidInput() {
        assertThatThrownBy(() -> new HostPorts(0).checkFree(PortForward.parse("192.0.2.1:8080:80")))
                .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(RpcErrors.INVALID_PARAMS))
                .hasMessageContaining("not an address of this host");
    }
}
