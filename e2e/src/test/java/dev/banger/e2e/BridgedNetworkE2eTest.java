package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 10's bridged mode end to end, with nothing faked: the real root helper (root) and bangerd
 * (an ordinary user) and QEMU guests on a real bridge and taps, NAT in real nftables, the helper's
 * DNS server and /etc/hosts block, all inside namespaces {@link BridgedHost} makes and removes.
 * The tests share one host and build on each other (VMs a and b live through the class).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BridgedNetworkE2eTest {
    private static BridgedHost host;
    private static JsonNode a;
    private static JsonNode b;

    @BeforeAll
    static void bridgedHost() throws Exception {
        host = BridgedHost.start();
    }

    @AfterAll
    static void removeTheHost() throws Exception {
        if (host != null) host.close();
    }

    private static final int WEB_PORT = 18080;
    private static final int UDP_PORT = 19000;
    private static final int LIVE_PORT = 18081;

    private static String ip(JsonNode vm) {
        return vm.path("runtime").path("guest_ip").asText();
    }

    /**
     * A TCP connection from inside a guest with bash alone (the image has no curl or nc): sends
     * {@code send}, then prints what the peer sends until it closes (HTTP/1.0), or, for SSH, its
     * first 7 bytes ("SSH-2.0": an SSH server then waits for the client's banner and never closes).
     */
    private static String[] tcpFromGuest(String vm, String hostOrIp, int port, String send) {
        String read = port == 22 ? "head -c 7 <&3" : "cat <&3";
        return new String[] {"vm", "exec", vm, "--", "timeout", "10", "bash", "-c",
                "exec 3<>/dev/tcp/" + hostOrIp + "/" + port + " && printf '" + send + "' >&3 && " + read};
    }

    /**
     * The agent is ready before the image's init has started sshd (under TCG that can take a minute):
     * SSH is retried until then, as a user would.
     */
    private static String whenSshdIsUp(String... args) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(180);
        while (true) {
            Banger.Result r = host.banger(args);
            if (r.exit() == 0) return r.stdout();
            if (System.nanoTime() > deadline) {
                throw new AssertionError("banger " + String.join(" ", args) + " kept failing: " + r.stderr() + r.stdout());
            }
            Thread.sleep(2000);
        }
    }

    private static void startGuestServers(String vm) throws Exception {
        host.ok(PortForwardE2eTest.startInGuest(vm, PortForwardE2eTest.TCP_SERVER));
        host.ok(PortForwardE2eTest.startInGuest(vm, PortForwardE2eTest.UDP_SERVER));
    }

    /**
     * What a TCP client on the bridged host reads from 127.0.0.1:{@code port} (its first 7 bytes for an SSH
     * server, which waits for the client's banner): retried while the guest's server starts. A refused
     * connection fails at once: nothing listens on the host port, so there is no forward.
     */
    private static String tcpOnHost(int port) throws Exception {
        String read = "exec 3<>/dev/tcp/127.0.0.1/" + port + " && timeout 5 head -c 16 <&3";
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                String out = host.inNetns("bash", "-c", read);
                if (!out.isEmpty()) return out;
            } catch (AssertionError e) {
                if (e.getMessage().contains("Connection refused")) throw new AssertionError("no forward on host port " + port, e);
            }
            if (System.nanoTime() > deadline) throw new AssertionError("no answer through host port " + port);
            Thread.sleep(500);
        }
    }

    private static boolean refusedOnHost(int port) {
        try {
            host.inNetns("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port);
            return false;
        } catch (AssertionError e) {
            return true;
        }
    }

    /** The reply of the guest's UDP server through the host port, from a perl client on the bridged host, asked again while it starts. */
    private static String udpOnHost(int port) {
        return host.inNetns("perl", "-MIO::Socket::INET", "-e", "my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:" + port
                + "', Proto => 'udp') or die $!; for (1 .. 60) { $s->send('ping'); my $r = ''; eval { local $SIG{ALRM} = sub { die };"
                + " alarm 1; $s->recv($r, 1500); alarm 0 }; if ($r ne '') { print $r; exit 0 } } exit 1");
    }

    /** The namespace's whole ruleset, counters' values left out (iptables-nft rules count packets). */
    private static String rules() {
        return host.inNetns("nft", "list", "ruleset").replaceAll("counter packets \\d+ bytes \\d+", "counter");
    }

    @Test
    @Order(1)
    void twoBridgedVmsGetTheirOwnAddressesAndTapsOwnedByTheUser() throws Exception {
        a = Json.MAPPER.readTree(host.ok("vm", "create", "--name", "a", "--json"));
        b = Json.MAPPER.readTree(host.ok("vm", "create", "--name", "b", "-p", "127.0.0.1:" + WEB_PORT + ":8000",
                "-p", UDP_PORT + ":9000/udp", "--json"));
        assertThat(b.path("spec").path("port_forwards")).hasSize(2);
        for (JsonNode vm : List.of(a, b)) {
            assertThat(vm.path("state").asText()).isEqualTo("running");
            assertThat(vm.path("runtime").path("network").asText()).isEqualTo("bridge");
            assertThat(ip(vm)).startsWith("10.77.0.");
            String tap = "bt" + vm.path("id").asText().substring(0, 12);
            assertThat(vm.path("runtime").path("tap").asText()).isEqualTo(tap);
            String link = host.inNetns("ip", "-d", "link", "show", "dev", tap);
            assertThat(link).contains("master bgr0").contains("tun type tap").contains("user " + host.user);
            // QEMU runs as the user, not root
            long pid = vm.path("runtime").path("pid").asLong();
            assertThat(ProcessHandle.of(pid).flatMap(ph -> ph.info().user())).contains(host.user);
        }
        assertThat(ip(a)).isNotEqualTo(ip(b));
        assertThat(host.taps()).hasSize(2);
        assertThat(host.ok("vm", "ls")).contains("a.vm").contains("b.vm").contains(ip(a) + ":22");
    }

    @Test
    @Order(2)
    void theHostReachesEachGuestAtItsAddressAndTheGuestsReachEachOther() throws Exception {
        // host (the test namespace) → guest: vm ssh goes straight to the guest's address
        assertThat(whenSshdIsUp("vm", "ssh", "a", "--", "hostname").strip()).isEqualTo("a");
        // guest → guest over the bridge, by address
        assertThat(whenSshdIsUp(tcpFromGuest("a", ip(b), 22, ""))).startsWith("SSH-2.0");
    }

    @Test
    @Order(3)
    void namesResolveOnTheBridgeResolverOnTheHostAndInTheGuests() throws Exception {
        assertThat(host.inNetns("dig", "+short", "+time=2", "+tries=1", "@" + BridgedHost.BRIDGE_ADDRESS, "a.vm").strip()).isEqualTo(ip(a));
        assertThat(host.inNetns("dig", "+short", "+time=2", "+tries=1", "@" + BridgedHost.BRIDGE_ADDRESS, "B.VM").strip()).isEqualTo(ip(b));
        assertThat(host.inNetns("dig", "+time=2", "+tries=1", "@" + BridgedHost.BRIDGE_ADDRESS, "nobody.vm")).contains("NXDOMAIN");
        // the host's own resolver (here the helper's /etc/hosts block in the test's mount namespace)
        assertThat(host.inMountNamespace("getent", "hosts", "a.vm")).startsWith(ip(a));
        assertThat(host.inMountNamespace("getent", "hosts", "b.vm")).startsWith(ip(b));
        // guests use the bridge's resolver: by name, both ways
        assertThat(host.ok("vm", "exec", "a", "--", "getent", "hosts", "b.vm")).startsWith(ip(b));
        assertThat(host.ok(tcpFromGuest("b", "a.vm", 22, ""))).startsWith("SSH-2.0");
        assertThat(host.ok(tcpFromGuest("a", "b.vm", 22, ""))).startsWith("SSH-2.0");
    }

    @Test
    @Order(4)
    void forwardsToABridgedGuestAreCarriedByBangerdAddedLiveAndGoneOnceRemoved() throws Exception {
        startGuestServers("b");
        assertThat(tcpOnHost(WEB_PORT)).isEqualTo("hello-from-guest");
        assertThat(udpOnHost(UDP_PORT)).isEqualTo("udp:ping");
        assertThat(host.ok("vm", "port", "add", "a", LIVE_PORT + ":22").strip()).isEqualTo("127.0.0.1:" + LIVE_PORT + ":22/tcp");
        assertThat(tcpOnHost(LIVE_PORT)).startsWith("SSH-2.0");
        JsonNode ls = Json.MAPPER.readTree(host.ok("vm", "port", "ls", "a", "--json"));
        assertThat(ls.path("forwards")).hasSize(1);
        host.ok("vm", "port", "rm", "a", Integer.toString(LIVE_PORT));
        assertThat(refusedOnHost(LIVE_PORT)).as("nothing listens on %d once removed", LIVE_PORT).isTrue();
        assertThat(tcpOnHost(WEB_PORT)).as("b's forwards stay").isEqualTo("hello-from-guest");
    }

    @Test
    @Order(5)
    void withNatAVmReachesTheUplinkAsTheHostEvenUnderADropForwardPolicyAndWithoutNatItCannot() throws Exception {
        // What Docker leaves behind: iptables-nft's filter table with a FORWARD policy of DROP.
        host.inNetns("nft", "add", "table", "ip", "filter");
        host.inNetns("nft", "add", "chain", "ip", "filter", "FORWARD", "{ type filter hook forward priority 0; policy drop; }");
        JsonNode n = Json.MAPPER.readTree(host.ok("vm", "create", "--name", "n", "--nat", "--json"));
        assertThat(n.path("spec").path("nat").asBoolean()).isTrue();

        String get = "GET /hello.txt HTTP/1.0\\r\\n\\r\\n";
        String page = host.ok(tcpFromGuest("n", BridgedHost.UPLINK, BridgedHost.HTTP_PORT, get));
        assertThat(page).contains("200").contains("hello from the uplink");
        assertThat(host.log("http.log")).as("the uplink sees the host's address, not the guest's")
                .contains(BridgedHost.HOST_UPLINK).doesNotContain(ip(n));

        Banger.Result blocked = host.banger(tcpFromGuest("a", BridgedHost.UPLINK, BridgedHost.HTTP_PORT, get));
        assertThat(blocked.exit()).as("a VM without --nat must not get out: %s", blocked.stdout()).isNotZero();

        host.ok("vm", "rm", "--force", "n");
        assertThat(host.inNetns("nft", "list", "ruleset")).doesNotContain(ip(n) + " ");
    }

    @Test
    @Order(6)
    void runningVmsKeepTheirNetworkAcrossABangerdCrashAndAHelperCrash() throws Exception {
        String rulesBefore = rules();
        long bangerd = Json.MAPPER.readTree(host.ok("daemon", "status", "--json")).path("pid").asLong();
        ProcessHandle.of(bangerd).ifPresent(ProcessHandle::destroyForcibly);
        BridgedHost.waitFor(() -> ProcessHandle.of(bangerd).isEmpty(), "bangerd to die");

        // the next command starts bangerd again, which reconciles: both VMs are still running and reachable
        JsonNode listed = Json.MAPPER.readTree(host.ok("vm", "ls", "--json"));
        assertThat(listed).extracting(v -> v.path("state").asText()).containsOnly("running");
        assertThat(host.taps()).hasSize(2);
        assertThat(host.ok(tcpFromGuest("a", "b.vm", 22, ""))).startsWith("SSH-2.0");
        assertThat(tcpOnHost(WEB_PORT)).as("the restarted bangerd opened b's forward again").isEqualTo("hello-from-guest");

        host.killHelper();
        host.startHelper();
        // The restarted helper answers from the records it persisted, before bangerd sends anything.
        BridgedHost.waitFor(() -> host.inNetns("dig", "+short", "+time=1", "+tries=1", "@" + BridgedHost.BRIDGE_ADDRESS, "a.vm")
                .strip().equals(ip(a)), "the restarted helper to answer a.vm");
        assertThat(whenSshdIsUp("vm", "ssh", "b", "--", "hostname").strip()).isEqualTo("b");
        // a start after the helper's restart adds no second copy of anything
        host.ok("vm", "restart", "b");
        assertThat(rules()).isEqualTo(rulesBefore);
        startGuestServers("b");
        assertThat(tcpOnHost(WEB_PORT)).as("bound again by the start").isEqualTo("hello-from-guest");
        assertThat(host.taps()).hasSize(2);
    }

    @Test
    @Order(7)
    void aBangerdCrashRightAfterTheTapWasMadeLeavesNothingOnceReconciled() throws Exception {
        host.ok("daemon", "stop");
        // host_features made the tap and recorded it; then bangerd halts as a SIGKILL would (no rollback runs).
        Banger.Result crashed = host.banger(java.util.Map.of("BANGER_CRASH_AFTER", "host_features"),
                java.time.Duration.ofMinutes(5), "vm", "create", "--name", "crash");
        assertThat(crashed.exit()).isNotZero();
        assertThat(host.taps()).as("the crash left the new VM's tap").hasSize(3);

        // the next command starts bangerd normally; its reconcile rolls the start back
        JsonNode vm = Json.MAPPER.readTree(host.ok("vm", "show", "crash", "--json"));
        assertThat(vm.path("state").asText()).isEqualTo("stopped");
        assertThat(vm.path("runtime").has("tap")).as("teardown identity cleared").isFalse();
        assertThat(host.taps()).hasSize(2).doesNotContain("bt" + vm.path("id").asText().substring(0, 12));
        assertThat(host.inNetns("dig", "+short", "+time=2", "+tries=1", "@" + BridgedHost.BRIDGE_ADDRESS, "crash.vm").strip()).isEmpty();
        host.ok("vm", "rm", "crash");
    }

    @Test
    @Order(8)
    void removingEveryVmLeavesNoTapNoRecordAndNoHostsLine() throws Exception {
        host.ok("vm", "rm", "--force", "a");
        host.ok("vm", "rm", "--force", "b");
        assertThat(refusedOnHost(WEB_PORT)).as("b's forward went with it").isTrue();
        assertThat(host.taps()).isEmpty();
        assertThat(host.inNetns("dig", "+time=2", "+tries=1", "@" + BridgedHost.BRIDGE_ADDRESS, "a.vm")).contains("NXDOMAIN");
        assertThat(java.nio.file.Files.readString(host.etc.resolve("hosts"))).doesNotContain("a.vm").doesNotContain("b.vm");
        assertThat(host.log("audit.log")).contains("op=delete_tap").contains("peer=" + host.uid);
    }
}
