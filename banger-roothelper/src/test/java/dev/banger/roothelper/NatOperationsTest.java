package dev.banger.roothelper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.NatInfo;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.ops.HelperConfig;
import dev.banger.roothelper.ops.HostCommands;
import dev.banger.roothelper.ops.NatOperations;
import dev.banger.roothelper.ops.NetworkOperations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * NAT against the real kernel: a HOST namespace where the operations run (the bridge made by
 * {@link NetworkOperations#ensureBridge}), an UPLINK namespace joined to it by a veth pair that plays
 * the internet (198.51.100.2, with an HTTP server, and no route back to the bridge subnet, so only
 * masqueraded traffic gets answers), and one namespace per fake guest joined to the bridge by a veth
 * pair. A guest namespace stands in for a QEMU guest: its packets enter the bridge through a port and
 * take the same forward, conntrack and masquerade paths in HOST as a tap's would.
 */
class NatOperationsTest {
    static final String SUBNET = "10.77.0.0/24";
    static final String A = "0123456789abcdef";
    static final String B = "fedcba9876543210";
    static final String HOST_UPLINK = "198.51.100.1";
    static final String SERVER = "198.51.100.2";
    static final Set<Process> SERVERS = ConcurrentHashMap.newKeySet();
    static final Set<Path> DIRS = ConcurrentHashMap.newKeySet();

    TestNetns host;
    TestNetns uplink;
    List<TestNetns> guests = new ArrayList<>();
    Process server;
    Path serverDir;
    NatOperations nat;

    @BeforeEach
    void network() throws Exception {
        host = new TestNetns();
        uplink = new TestNetns();
        new NetworkOperations(config(), host.commands()).ensureBridge();
        TestNetns.host("ip", "link", "add", "up0", "netns", host.name, "type", "veth", "peer", "name", "eth0", "netns", uplink.name);
        host.run("ip", "addr", "add", HOST_UPLINK + "/24", "dev", "up0");
        host.run("ip", "link", "set", "up0", "up");
        uplink.run("ip", "addr", "add", SERVER + "/24", "dev", "eth0");
        uplink.run("ip", "link", "set", "eth0", "up");
        // Counts what arrives in UPLINK from the bridge subnet un-masqueraded: a VM without NAT must not even get a packet out.
        HostCommands.CommandResult watch = uplink.commands().run(List.of("nft", "-f", "-"),
                "table inet watch {\n chain pre {\n type filter hook prerouting priority -300; policy accept;\n ip saddr 10.77.0.0/24 counter\n }\n}\n");
        assertThat(watch.exitCode()).as("uplink watch: %s", watch.stderr()).isZero();
        serverDir = Files.createTempDirectory("banger-nat-http");
        DIRS.add(serverDir);
        Files.writeString(serverDir.resolve("hello"), "hello from the uplink\n");
        server = new ProcessBuilder("ip", "netns", "exec", uplink.name, "/usr/bin/python3", "-m", "http.server", "--bind", SERVER, "8080")
                .directory(serverDir.toFile()).redirectErrorStream(true).redirectOutput(serverDir.resolve("server.log").toFile()).start();
        SERVERS.add(server);
        for (int i = 0; i < 100 && !uplink.commands().run(List.of("curl", "-s", "-m", "1", "-o", "/dev/null", "http://" + SERVER + ":8080/"), "").ok(); i++) {
            Thread.sleep(100);
        }
        nat = new NatOperations(config(), host.commands());
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (server != null) {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
            server.destroyForcibly().waitFor();
            SERVERS.remove(server);
        }
        guests.forEach(TestNetns::close);
        if (uplink != null) {
            uplink.close();
        }
        if (host != null) {
            host.close();
        }
        if (serverDir != null) {
            try (var files = Files.list(serverDir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(serverDir);
            DIRS.remove(serverDir);
        }
    }

    @AfterAll
    static void nothingLeft() {
        TestNetns.assertAllRemoved();
        assertThat(SERVERS).as("HTTP servers still running").allMatch(p -> !p.isAlive());
        assertThat(DIRS).as("temp dirs left").allMatch(d -> !Files.exists(d));
    }

    static HelperConfig config() {
        return new HelperConfig("bgr0", HelperConfig.parseSubnet(SUBNET), 4242, 1000);
    }

    /**
     * Regression (found by the bridged e2e): on a host with Docker's FORWARD policy drop and br_netfilter
     * (Docker loads it; frames between bridge ports then pass the forward hook as bgr0 → bgr0), VMs on
     * the bridge could not reach each other unless some VM had NAT. ensure_bridge's structure step adds
     * the accepts, and they cover bridge-to-bridge traffic.
     */
    @Test
    void vmsOnTheBridgeReachEachOtherUnderADockerForwardDropWithoutAnyNat() throws Exception {
        TestNetns a = guest("10.77.0.2");
        TestNetns b = guest("10.77.0.3");
        nftBatch("table ip filter {\n chain FORWARD {\n type filter hook forward priority 0; policy drop;\n }\n}\n");
        Path dir = Files.createTempDirectory("banger-nat-peer-");
        DIRS.add(dir);
        Files.writeString(dir.resolve("peer"), "hello from b\n");
        Process peer = new ProcessBuilder("ip", "netns", "exec", b.name, "/usr/bin/python3", "-m", "http.server", "--bind", "10.77.0.3",
                "8081", "--directory", dir.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        SERVERS.add(peer);
        try {
            java.util.function.BooleanSupplier reaches = () -> {
                HostCommands.CommandResult r = a.commands().run(List.of("curl", "-s", "-m", "2", "http://10.77.0.3:8081/peer"), "");
                return r.ok() && r.stdout().contains("hello from b");
            };
            HostCommands.CommandResult sysctl = host.commands().run(List.of("cat", "/proc/sys/net/bridge/bridge-nf-call-iptables"), "");
            boolean brNetfilter = sysctl.ok() && sysctl.stdout().strip().equals("1");
            long deadline = System.nanoTime() + 5_000_000_000L;
            if (brNetfilter) {
                // Only with br_netfilter does the policy drop see bridged frames; without it this half cannot fail.
                while (!reaches.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(100);
                assertThat(reaches.getAsBoolean()).as("before ensure: Docker's policy drops bridged frames").isFalse();
            }
            assertThat(nat.ensureStructure()).anySatisfy(n -> assertThat(n).contains("added accepts for bgr0", "FORWARD"));
            deadline = System.nanoTime() + 10_000_000_000L;
            while (!reaches.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(200);
            assertThat(reaches.getAsBoolean()).as("A reaches B on the bridge, neither with NAT").isTrue();
            assertThat(fetches(a)).as("and A still does not get out").isFalse();
        } finally {
            peer.destroyForcibly();
            peer.waitFor();
            Files.deleteIfExists(dir.resolve("peer"));
            Files.deleteIfExists(dir);
            DIRS.remove(dir);
        }
    }

    /** A fake guest: its own namespace, eth0 on the bridge through a veth pair, the gateway as default route. */
    TestNetns guest(String address) {
        TestNetns guest = new TestNetns();
        guests.add(guest);
        String port = "bv" + guests.size();
        TestNetns.host("ip", "link", "add", port, "netns", host.name, "type", "veth", "peer", "name", "eth0", "netns", guest.name);
        host.run("ip", "link", "set", port, "master", "bgr0", "up");
        guest.run("ip", "addr", "add", address + "/24", "dev", "eth0");
        guest.run("ip", "link", "set", "eth0", "up");
        guest.run("ip", "route", "add", "default", "via", "10.77.0.1");
        return guest;
    }

    /** Whether the guest gets the page within 2 s. */
    static boolean fetches(TestNetns guest) {
        HostCommands.CommandResult r = guest.commands().run(List.of("curl", "-s", "-m", "2", "http://" + SERVER + ":8080/hello"), "");
        return r.ok() && r.stdout().contains("hello from the uplink");
    }

    /** The test's own ruleset for HOST (another firewall), applied or the test fails. */
    void nftBatch(String batch) {
        HostCommands.CommandResult r = host.commands().run(List.of("nft", "-f", "-"), batch);
        assertThat(r.exitCode()).as("nft -f -: %s", r.stderr()).isZero();
    }

    /** Like firewalld's, in nft's JSON syntax: a chain named {@code fwd} is a keyword in the text syntax. */
    void otherFirewall() {
        HostCommands.CommandResult r = host.commands().run(List.of("nft", "-j", "-f", "-"), """
                {"nftables":[{"add":{"table":{"family":"inet","name":"fw"}}},{"add":{"chain":{"family":"inet","table":"fw",                "name":"fwd","type":"filter","hook":"forward","prio":0,"policy":"drop"}}}]}""");
        assertThat(r.exitCode()).as("nft -j -f -: %s", r.stderr()).isZero();
    }

    /** Packets from the bridge subnet that reached UPLINK with their guest source address. */
    long leakedPackets() throws Exception {
        for (JsonNode object : Json.MAPPER.readTree(uplink.run("nft", "-j", "list", "table", "inet", "watch")).path("nftables")) {
            for (JsonNode expression : object.path("rule").path("expr")) {
                if (expression.has("counter")) {
                    return expression.path("counter").path("packets").asLong();
                }
            }
        }
        throw new AssertionError("no counter in UPLINK's watch table");
    }

    String serverLog() throws IOException {
        return Files.readString(serverDir.resolve("server.log"));
    }

    List<String> natElements() throws Exception {
        JsonNode dump = Json.MAPPER.readTree(host.run("nft", "-j", "list", "set", "inet", "banger", "nat_vms"));
        List<String> elements = new ArrayList<>();
        for (JsonNode object : dump.path("nftables")) {
            object.path("set").path("elem").forEach(e -> elements.add(e.path("elem").path("val").asText(e.asText())
                    + " " + e.path("elem").path("comment").asText("")));
        }
        return elements;
    }

    /** Every rule of every table in HOST, as nft prints them: the "rule count back to baseline" measure. */
    int ruleCount() throws Exception {
        int count = 0;
        for (JsonNode object : Json.MAPPER.readTree(host.run("nft", "-j", "list", "ruleset")).path("nftables")) {
            count += object.has("rule") ? 1 : 0;
        }
        return count;
    }

    @Test
    void aVmWithNatGetsOutMasqueradedAndOneWithoutDoesNot() throws Exception {
        TestNetns a = guest("10.77.0.2");
        TestNetns b = guest("10.77.0.3");
        assertThat(fetches(a)).as("before enable_nat").isFalse();

        NatInfo info = nat.enableNat(A, "10.77.0.2");
        assertThat(info.notes()).containsExactly("enabled net.ipv4.ip_forward (it was 0)");
        assertThat(host.run("sysctl", "-n", "net.ipv4.ip_forward").strip()).isEqualTo("1");
        assertThat(fetches(a)).as("A with NAT").isTrue();
        assertThat(serverLog()).contains(HOST_UPLINK + " - - ").doesNotContain("10.77.0.2");
        // ip_forward is on now, so B is kept in only by banger's forward chain.
        assertThat(fetches(b)).as("B without NAT").isFalse();
        assertThat(serverLog()).doesNotContain("10.77.0.3");
        assertThat(leakedPackets()).as("packets from the subnet that left HOST un-NATed").isZero();

        assertThat(nat.enableNat(A, "10.77.0.2").notes()).as("second enable: nothing to do").isEmpty();
        assertThat(nat.disableNat(A).existed()).isTrue();
        assertThat(fetches(a)).as("A after disable_nat").isFalse();
        assertThat(natElements()).isEmpty();
        assertThat(nat.disableNat(A).existed()).isFalse();
    }

    @Test
    void dockersForwardPolicyDropGetsNarrowAcceptsThatIptablesStillReads() throws Exception {
        TestNetns a = guest("10.77.0.2");
        nftBatch("table ip filter {\n chain FORWARD {\n type filter hook forward priority 0; policy drop;\n }\n}\n");
        assertThat(host.run("nft", "list", "chain", "ip", "filter", "FORWARD")).contains("policy drop");

        NatInfo info = nat.enableNat(A, "10.77.0.2");
        assertThat(info.notes()).anySatisfy(n -> assertThat(n).contains("added accepts for bgr0", "table ip filter chain FORWARD", "iptables-nft"));
        assertThat(fetches(a)).as("through Docker's FORWARD policy drop").isTrue();
        String rules = host.run("iptables-nft", "-S", "FORWARD");
        assertThat(rules).contains("-A FORWARD -i bgr0 -m comment --comment banger -j ACCEPT",
                "-A FORWARD -o bgr0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment banger -j ACCEPT");
        assertThat(nat.enableNat(A, "10.77.0.2").notes()).as("idempotent").anySatisfy(n -> assertThat(n).contains("already in"));
        assertThat(host.run("iptables-nft", "-S", "FORWARD").lines().filter(l -> l.contains("banger")).count()).isEqualTo(2);

        nat.disableNat(A);
        assertThat(host.run("iptables-nft", "-S", "FORWARD")).as("kept for VM-to-VM traffic while VMs exist").contains("banger");
        assertThat(fetches(a)).as("without NAT, banger's own drop still keeps A in").isFalse();
        nat.reconcile(List.of());
        assertThat(host.run("iptables-nft", "-S", "FORWARD")).doesNotContain("banger").contains("-P FORWARD DROP");
    }

    @Test
    void aDockerUserChainGetsTheAcceptsWhenForwardJumpsToIt() throws Exception {
        TestNetns a = guest("10.77.0.2");
        // What Docker itself runs (through iptables-nft): DOCKER-USER ends in RETURN, FORWARD jumps to it first.
        host.run("iptables-nft", "-N", "DOCKER-USER");
        host.run("iptables-nft", "-A", "DOCKER-USER", "-j", "RETURN");
        host.run("iptables-nft", "-P", "FORWARD", "DROP");
        host.run("iptables-nft", "-A", "FORWARD", "-j", "DOCKER-USER");

        NatInfo info = nat.enableNat(A, "10.77.0.2");
        assertThat(info.notes()).anySatisfy(n -> assertThat(n).contains("table ip filter chain DOCKER-USER", "chain FORWARD of that table has policy drop"));
        assertThat(fetches(a)).isTrue();
        List<String> dockerUser = host.run("iptables-nft", "-S", "DOCKER-USER").lines().toList();
        assertThat(dockerUser.getLast()).as("the accepts go before Docker's RETURN").isEqualTo("-A DOCKER-USER -j RETURN");
        assertThat(dockerUser).filteredOn(l -> l.contains("banger")).hasSize(2);
        assertThat(host.run("iptables-nft", "-S", "FORWARD")).doesNotContain("banger");

        nat.disableNat(A);
        assertThat(host.run("iptables-nft", "-S", "DOCKER-USER")).contains("banger");
        nat.reconcile(List.of());
        assertThat(host.run("iptables-nft", "-S", "DOCKER-USER")).doesNotContain("banger");
    }

    @Test
    void anotherNftTablesForwardDropGetsNftAcceptsRemovedByTheirComment() throws Exception {
        TestNetns a = guest("10.77.0.2");
        otherFirewall();

        NatInfo info = nat.enableNat(A, "10.77.0.2");
        assertThat(info.notes()).anySatisfy(n -> assertThat(n).contains("table inet fw chain fwd", "with nft"));
        assertThat(fetches(a)).isTrue();
        assertThat(host.run("nft", "list", "table", "inet", "fw").lines().filter(l -> l.contains("comment \"banger\"")).count()).isEqualTo(2);

        nat.disableNat(A);
        assertThat(fetches(a)).isFalse();
        nat.reconcile(List.of());
        assertThat(host.run("nft", "list", "table", "inet", "fw")).doesNotContain("banger").contains("policy drop");
    }

    @Test
    void aLegacyForwardDropNftCannotSeeIsNamedInTheNotes() throws Exception {
        TestNetns a = guest("10.77.0.2");
        host.run("iptables-legacy", "-P", "FORWARD", "DROP");

        NatInfo info = nat.enableNat(A, "10.77.0.2");
        assertThat(info.notes()).anySatisfy(n -> assertThat(n).contains("not changed", "iptables-legacy", "FORWARD policy is DROP",
                "iptables-legacy -I FORWARD -i bgr0 -j ACCEPT"));
        assertThat(fetches(a)).as("the note is true: legacy drops it").isFalse();
        host.run("iptables-legacy", "-P", "FORWARD", "ACCEPT");
        assertThat(fetches(a)).isTrue();
    }

    @Test
    void reconcileDeletesDeadVmsElementsKeepsLiveOnesAndFinallyTheAccepts() throws Exception {
        TestNetns a = guest("10.77.0.2");
        TestNetns b = guest("10.77.0.3");
        otherFirewall();
        nat.enableNat(A, "10.77.0.2");
        nat.enableNat(B, "10.77.0.3");
        assertThat(fetches(b)).isTrue();

        ReconcileResult result = nat.reconcile(List.of(A));
        assertThat(result.deleted()).containsExactly("nat 10.77.0.3 (vm " + B + ")");
        assertThat(result.errors()).isEmpty();
        assertThat(natElements()).containsExactly("10.77.0.2 vm " + A);
        assertThat(fetches(a)).as("live VM keeps its NAT").isTrue();
        assertThat(fetches(b)).as("dead VM's NAT is gone").isFalse();
        assertThat(nat.reconcile(List.of(A)).deleted()).as("nothing more to do").isEmpty();

        result = nat.reconcile(List.of());
        assertThat(result.deleted()).contains("nat 10.77.0.2 (vm " + A + ")", "accept for bgr0 in table inet fw chain fwd");
        assertThat(natElements()).isEmpty();
        assertThat(host.run("nft", "list", "table", "inet", "fw")).doesNotContain("banger");
    }

    @Test
    void reconcileAloneWritesTheTableSoAVmWithoutNatStaysInOnAForwardingHost() throws Exception {
        TestNetns b = guest("10.77.0.3");
        host.run("sysctl", "-w", "net.ipv4.ip_forward=1");
        // Without banger's drop, B's packets would be forwarded un-NATed (UPLINK has no route back, but they would leave).
        assertThat(nat.reconcile(List.of()).deleted()).isEmpty();
        assertThat(host.run("nft", "list", "chain", "inet", "banger", "forward")).contains("iifname \"bgr0\" oifname != \"bgr0\" drop");
        assertThat(fetches(b)).isFalse();
        assertThat(leakedPackets()).as("B's packets that left HOST").isZero();
    }

    @Test
    void validationRefusesAddressesOutsideTheGuestRangeAndASecondVmOnOneIp() throws Exception {
        for (String bad : List.of("10.78.0.5", "10.77.0.1", "10.77.0.0", "10.77.0.255", "192.168.1.2", "10.77.0.05")) {
            assertThatThrownBy(() -> nat.enableNat(A, bad)).as(bad).isInstanceOfSatisfying(HelperException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
        }
        assertThat(host.commands().run(List.of("nft", "list", "table", "inet", "banger"), "").ok()).as("nothing written for a refusal").isFalse();

        nat.enableNat(A, "10.77.0.2");
        assertThatThrownBy(() -> nat.enableNat(B, "10.77.0.2")).isInstanceOfSatisfying(HelperException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
            assertThat(e.getMessage()).contains("10.77.0.2", "vm " + A);
        });
        // One IP per VM: a new address replaces the old one.
        assertThat(nat.enableNat(A, "10.77.0.9").notes()).contains("replaced this VM's earlier NAT address 10.77.0.2");
        assertThat(natElements()).containsExactly("10.77.0.9 vm " + A);
        assertThat(nat.enableNat(B, "10.77.0.2").guestIp()).isEqualTo("10.77.0.2");
    }

    @Test
    void threeHundredEnableDisableCyclesLeaveTheSetAndRulesAtBaseline() throws Exception {
        nat.reconcile(List.of());
        int baselineRules = ruleCount();
        assertThat(natElements()).isEmpty();
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String id = String.format("%016x", 0x1000 + i);
            String ip = "10.77.0." + (2 + i % 250);
            long start = System.nanoTime();
            nat.enableNat(id, ip);
            nat.disableNat(id);
            nanos.add(System.nanoTime() - start);
        }
        assertThat(natElements()).isEmpty();
        assertThat(ruleCount()).isEqualTo(baselineRules);
        Collections.sort(nanos);
        System.out.printf("NAT enable+disable over 300 cycles (through ip netns exec): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                nanos.get(149) / 1e6, nanos.get(296) / 1e6, nanos.getLast() / 1e6);
    }
}
