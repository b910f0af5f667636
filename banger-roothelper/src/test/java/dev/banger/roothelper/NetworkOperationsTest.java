package dev.banger.roothelper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.roothelper.api.BridgeInfo;
import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.TapInfo;
import dev.banger.roothelper.ops.HelperConfig;
import dev.banger.roothelper.ops.NetworkOperations;
import dev.banger.roothelper.ops.TapNames;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operations against real kernel objects, each test in a fresh network namespace. */
class NetworkOperationsTest {
    static final int OWNER = 4242;
    static final String SUBNET = "10.77.0.0/24";
    static final String A = "0123456789abcdef";
    static final String B = "fedcba9876543210";
    static final String C = "00000000000000aa";

    TestNetns ns;

    @BeforeEach
    void namespace() {
        ns = new TestNetns();
    }

    @AfterEach
    void removeNamespace() {
        ns.close();
    }

    @AfterAll
    static void nothingLeft() {
        TestNetns.assertAllRemoved();
    }

    NetworkOperations operations(int maxPorts) {
        return new NetworkOperations(new HelperConfig("bgr0", HelperConfig.parseSubnet(SUBNET), OWNER, maxPorts), ns.commands());
    }

    JsonNode link(String name) throws Exception {
        return Json.MAPPER.readTree(ns.run("ip", "-j", "-d", "link", "show", "dev", name)).get(0);
    }

    List<String> bridgeAddresses() throws Exception {
        List<String> addresses = new ArrayList<>();
        Json.MAPPER.readTree(ns.run("ip", "-j", "-4", "addr", "show", "dev", "bgr0")).get(0).path("addr_info")
                .forEach(a -> addresses.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt()));
        return addresses;
    }

    @Test
    void ensureBridgeIsIdempotentWithAStableMacAndTheGatewayAddress() throws Exception {
        NetworkOperations ops = operations(1000);
        BridgeInfo first = ops.ensureBridge();
        BridgeInfo second = ops.ensureBridge();

        assertThat(second).isEqualTo(first);
        assertThat(first.address()).isEqualTo("10.77.0.1");
        assertThat(first.mac()).matches("^[0-9a-f][26ae](:[0-9a-f]{2}){5}$");
        assertThat(bridgeAddresses()).containsExactly("10.77.0.1/24");
        JsonNode bridge = link("bgr0");
        assertThat(bridge.path("linkinfo").path("info_kind").asText()).isEqualTo("bridge");
        assertThat(bridge.path("address").asText()).isEqualTo(first.mac());
        assertThat(bridge.path("flags").toString()).contains("\"UP\"");

        // A port with a lower MAC would become the bridge's MAC if it were not set explicitly.
        ops.createTap(A);
        ns.run("ip", "link", "set", "dev", TapNames.forVm(A), "address", "00:00:00:00:00:01");
        assertThat(link("bgr0").path("address").asText()).isEqualTo(first.mac());
        assertThat(ops.ensureBridge()).isEqualTo(first);
    }

    @Test
    void ensureBridgeRestoresAMacSomeoneChanged() throws Exception {
        NetworkOperations ops = operations(1000);
        BridgeInfo info = ops.ensureBridge();
        ns.run("ip", "link", "set", "dev", "bgr0", "address", "02:00:00:00:00:99", "down");
        ops.ensureBridge();
        assertThat(link("bgr0").path("address").asText()).isEqualTo(info.mac());
        assertThat(link("bgr0").path("flags").toString()).contains("\"UP\"");
    }

    @Test
    void ensureBridgeRefusesARouteOverlappingTheSubnet() {
        ns.run("ip", "link", "add", "vpn0", "type", "bridge");
        ns.run("ip", "link", "set", "vpn0", "up");
        ns.run("ip", "route", "add", "10.77.0.0/16", "dev", "vpn0");

        assertThatThrownBy(() -> operations(1000).ensureBridge()).isInstanceOfSatisfying(HelperException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
            assertThat(e.getMessage()).contains("route 10.77.0.0/16", "vpn0", HelperConfig.SUBNET_CONFIG_KEY);
        });
        assertThat(ns.run("ip", "-j", "link", "show")).doesNotContain("bgr0");
    }

    @Test
    void ensureBridgeRefusesAStaleInterfaceOnTheSubnetNamingIt() {
        ns.run("ip", "link", "add", "stale0", "type", "bridge");
        ns.run("ip", "addr", "add", "10.77.0.9/24", "dev", "stale0");

        assertThatThrownBy(() -> operations(1000).ensureBridge()).isInstanceOfSatisfying(HelperException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
            assertThat(e.getMessage()).contains("interface stale0", "10.77.0.9/24", "config key " + HelperConfig.SUBNET_CONFIG_KEY);
        });
    }

    @Test
    void ensureBridgeRefusesANonBridgeHoldingTheName() {
        ns.run("ip", "tuntap", "add", "dev", "bgr0", "mode", "tap");
        assertThatThrownBy(() -> operations(1000).ensureBridge())
                .isInstanceOfSatisfying(HelperException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining("not a bridge");
    }

    @Test
    void createTapIsOwnedByTheOwnerAndAttachedToTheBridgeOnly() throws Exception {
        NetworkOperations ops = operations(1000);
        ops.ensureBridge();
        TapInfo tap = ops.createTap(A);

        assertThat(tap.name()).isEqualTo("bt0123456789ab").hasSizeLessThanOrEqualTo(15);
        JsonNode link = link(tap.name());
        assertThat(link.path("linkinfo").path("info_data").path("type").asText()).isEqualTo("tap");
        assertThat(link.path("linkinfo").path("info_data").path("user").asInt()).isEqualTo(OWNER);
        assertThat(link.path("linkinfo").path("info_data").path("multi_queue").asBoolean()).isFalse();
        assertThat(link.path("master").asText()).isEqualTo("bgr0");
        assertThat(link.path("flags").toString()).contains("\"UP\"");
        assertThat(link.path("ifalias").asText()).isEqualTo("banger vm " + A);
        assertThat(ops.createTap(A)).as("idempotent").isEqualTo(tap);
    }

    @Test
    void createTapWithoutTheBridgeIsRefused() {
        assertThatThrownBy(() -> operations(1000).createTap(A))
                .isInstanceOfSatisfying(HelperException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_BRIDGE));
    }

    @Test
    void deletingAMissingTapSucceeds() throws Exception {
        NetworkOperations ops = operations(1000);
        ops.ensureBridge();
        assertThat(ops.deleteTap(A).existed()).isFalse();
        ops.createTap(A);
        assertThat(ops.deleteTap(A).existed()).isTrue();
        assertThat(ns.run("ip", "-j", "link", "show")).doesNotContain(TapNames.forVm(A));
        assertThat(ops.deleteTap(A).existed()).isFalse();
    }

    @Test
    void reconcileRemovesExactlyTheStaleBangerTaps() throws Exception {
        NetworkOperations ops = operations(1000);
        ops.ensureBridge();
        ops.createTap(A);
        ops.createTap(B);
        ops.createTap(C);
        ns.run("ip", "tuntap", "add", "dev", "othertap0", "mode", "tap");
        // A banger-named tap with no alias (a crash between add and attach) of a VM that is not live.
        ns.run("ip", "tuntap", "add", "dev", "bt111111111111", "mode", "tap");

        ReconcileResult result = ops.reconcileTaps(List.of(A));

        assertThat(result.deleted()).containsExactlyInAnyOrder(TapNames.forVm(B), TapNames.forVm(C), "bt111111111111");
        assertThat(result.errors()).isEmpty();
        String links = ns.run("ip", "-j", "link", "show");
        assertThat(links).contains(TapNames.forVm(A), "othertap0", "bgr0").doesNotContain(TapNames.forVm(B), TapNames.forVm(C), "bt111111111111");
    }

    @Test
    void twoVmsWhoseIdsShareTheTapNameNeverTakeEachOthersTap() {
        NetworkOperations ops = operations(1000);
        ops.ensureBridge();
        String first = "0123456789ab0000";
        String second = "0123456789abffff";
        ops.createTap(first);

        assertThatThrownBy(() -> ops.createTap(second))
                .isInstanceOfSatisfying(HelperException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining(first);
        assertThatThrownBy(() -> ops.deleteTap(second))
                .isInstanceOfSatisfying(HelperException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(ops.reconcileTaps(List.of(first)).deleted()).isEmpty();
        assertThat(ops.reconcileTaps(List.of(second)).deleted()).containsExactly(TapNames.forVm(first));
    }

    @Test
    void thePortPastTheCapIsRefused() {
        NetworkOperations ops = operations(5);
        ops.ensureBridge();
        for (int i = 0; i < 5; i++) {
            ops.createTap(vmNumber(i + 1));
        }
        assertThatThrownBy(() -> ops.createTap(vmNumber(6)))
                .isInstanceOfSatisfying(HelperException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT))
                .hasMessageContaining("5 ports");
        ops.deleteTap(vmNumber(1));
        assertThat(ops.createTap(vmNumber(6)).name()).isEqualTo(TapNames.forVm(vmNumber(6)));
    }

    /** Distinct tap names: the number goes into the first 12 hex characters, which name the tap. */
    static String vmNumber(int n) {
        return String.format("%012x", n) + "beef";
    }

    /** Helper operation latency (the goal: create+delete p50 ≤ 10 ms); printed for the report. */
    @Test
    void createAndDeleteTapLatency() {
        NetworkOperations ops = operations(1000);
        ops.ensureBridge();
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            long start = System.nanoTime();
            ops.createTap(A);
            ops.deleteTap(A);
            millis.add((System.nanoTime() - start) / 1e6);
        }
        Collections.sort(millis);
        double p50 = millis.get(49);
        double p99 = millis.get(98);
        System.out.printf("createTap+deleteTap in a netns, 100 rounds: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", p50, p99, millis.get(99));
        assertThat(p50).as("p50 ms").isLessThan(250);
    }
}
