package dev.banger.roothelper;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.banger.core.Json;
import dev.banger.roothelper.api.BridgeInfo;
import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.NatDisabled;
import dev.banger.roothelper.api.NatInfo;
import dev.banger.roothelper.api.HelperClient;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.api.RootOperations;
import dev.banger.roothelper.api.TapDeleted;
import dev.banger.roothelper.api.TapInfo;
import dev.banger.roothelper.api.VmIds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;

/**
 * Over the real socket server and protocol: whatever shape a request has, an invalid VM id or an
 * extra field never reaches an operation, and a valid request always does. The operations here
 * only record their calls (the kernel side is NetworkOperationsTest's).
 */
class RequestShapesProperties {
    static final List<String> calls = new CopyOnWriteArrayList<>();
    static Path dir;
    static HelperServer server;
    static HelperClient client;

    static final RootOperations RECORDING = new RootOperations() {
        @Override
        public BridgeInfo ensureBridge() {
            calls.add("ensure_bridge");
            return new BridgeInfo("bgr0", "10.77.0.0/24", "10.77.0.1", "02:00:00:00:00:01");
        }

        @Override
        public TapInfo createTap(String vmId) {
            calls.add("create_tap " + vmId);
            return new TapInfo(vmId, "bt" + vmId.substring(0, 12), "bgr0");
        }

        @Override
        public TapDeleted deleteTap(String vmId) {
            calls.add("delete_tap " + vmId);
            return new TapDeleted(vmId, "bt" + vmId.substring(0, 12), false);
        }

        @Override
        public NatInfo enableNat(String vmId, String guestIp) {
            calls.add("enable_nat " + vmId + " " + guestIp);
            return new NatInfo(vmId, guestIp, List.of());
        }

        @Override
        public NatDisabled disableNat(String vmId) {
            calls.add("disable_nat " + vmId);
            return new NatDisabled(vmId, false);
        }

        @Override
        public DnsInfo setDnsRecords(List<DnsRecord> records) {
            calls.add("set_dns_records " + records);
            return new DnsInfo(records.size(), "", "none");
        }

        @Override
        public ReconcileResult reconcile(List<String> liveVmIds) {
            calls.add("reconcile " + liveVmIds);
            return new ReconcileResult(List.of(), List.of());
        }

        @Override
        public ReconcileResult removeHostState() {
            calls.add("remove_host_state");
            return new ReconcileResult(List.of(), List.of());
        }
    };

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("banger-rt-props-");
        server = HelperServer.bind(dir.resolve("helper.sock"), 4242, 0, RECORDING);
        Thread.ofVirtual().start(() -> {
            try {
                server.serve();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        client = HelperClient.connect(dir.resolve("helper.sock"));
    }

    @AfterContainer
    static void stop() throws Exception {
        client.close();
        server.close();
        Files.deleteIfExists(dir.resolve("helper.sock"));
        Files.delete(dir);
        assertThat(dir).doesNotExist();
    }

    @BeforeTry
    void clear() {
        calls.clear();
    }

    @Provide
    Arbitrary<String> vmIds() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars("0123456789abcdef").ofLength(16),
                Arbitraries.strings().withChars("0123456789abcdefABCDEF /.-\\\n\u0000é").ofMinLength(0).ofMaxLength(20),
                Arbitraries.strings().ofMinLength(0).ofMaxLength(40));
    }

    @Provide
    Arbitrary<String> ops() {
        return Arbitraries.of("create_tap", "delete_tap");
    }

    @Property(tries = 500)
    void aVmIdReachesAnOperationIffItIsValid(@ForAll("ops") String op, @ForAll("vmIds") String vmId) throws Exception {
        ObjectNode request = Json.MAPPER.createObjectNode().put("op", op).put("vm_id", vmId);
        JsonNode response = Json.MAPPER.readTree(client.exchange(request.toString()));

        if (VmIds.PATTERN.matcher(vmId).matches()) {
            assertThat(response.path("code").asText()).isEqualTo("ok");
            assertThat(calls).containsExactly(op + " " + vmId);
        } else {
            assertThat(response.path("code").asText()).isEqualTo("invalid_request");
            assertThat(calls).isEmpty();
        }
    }

    @Property(tries = 300)
    void anyExtraFieldIsRefusedBeforeTheOperation(@ForAll("ops") String op,
            @ForAll("fieldNames") String extra, @ForAll("vmIds") String value) throws Exception {
        ObjectNode request = Json.MAPPER.createObjectNode().put("op", op).put("vm_id", "0123456789abcdef").put(extra, value);
        JsonNode response = Json.MAPPER.readTree(client.exchange(request.toString()));

        assertThat(response.path("code").asText()).isEqualTo("invalid_request");
        assertThat(calls).isEmpty();
    }

    @Provide
    Arbitrary<String> fieldNames() {
        return Arbitraries.strings().ofMinLength(1).ofMaxLength(12).filter(name -> !name.equals("op") && !name.equals("vm_id"));
    }

    @Property(tries = 200)
    void reconcileRefusesTheWholeListForOneBadId(@ForAll("vmIds") String maybeBad) throws Exception {
        ObjectNode request = Json.MAPPER.createObjectNode().put("op", "reconcile");
        request.putArray("live_vm_ids").add("0123456789abcdef").add(maybeBad);
        JsonNode response = Json.MAPPER.readTree(client.exchange(request.toString()));

        boolean valid = VmIds.PATTERN.matcher(maybeBad).matches();
        assertThat(response.path("code").asText()).isEqualTo(valid ? "ok" : "invalid_request");
        assertThat(calls).hasSize(valid ? 1 : 0);
    }

    @Provide
    Arbitrary<String> dnsNames() {
        return Arbitraries.oneOf(Arbitraries.strings().withChars("abz09-").ofMinLength(1).ofMaxLength(10),
                Arbitraries.strings().withChars("aZ.-_ /é").ofMinLength(0).ofMaxLength(8), Arbitraries.of("a".repeat(64)));
    }

    @Provide
    Arbitrary<String> addresses() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(0, 255).list().ofSize(4).map(l -> l.stream().map(String::valueOf)
                        .collect(java.util.stream.Collectors.joining("."))),
                Arbitraries.strings().withChars("0123456789./: x-").ofMinLength(0).ofMaxLength(20),
                Arbitraries.of("10.77.0.05", "010.77.0.5", "10.77.0.256", "::1", "10.77.0", "10.77.0.5 ", " 10.77.0.5"));
    }

    private static boolean canonicalIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) return false;
        for (String p : parts) {
            if (!p.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(p) > 255) return false;
        }
        return true;
    }

    @Property(tries = 400)
    void aNatRequestReachesItsOperationIffItsIdAndAddressAreValid(@ForAll("vmIds") String vmId, @ForAll("addresses") String ip)
            throws Exception {
        ObjectNode request = Json.MAPPER.createObjectNode().put("op", "enable_nat").put("vm_id", vmId).put("guest_ip", ip);
        JsonNode response = Json.MAPPER.readTree(client.exchange(request.toString()));

        boolean valid = VmIds.PATTERN.matcher(vmId).matches() && canonicalIpv4(ip);
        assertThat(response.path("code").asText()).isEqualTo(valid ? "ok" : "invalid_request");
        assertThat(calls).hasSize(valid ? 1 : 0);
    }

    @Property(tries = 300)
    void dnsRecordsReachTheOperationOnlyWhenEveryNameIdAndAddressIsValid(@ForAll("vmIds") String vmId,
            @ForAll("addresses") String ip, @ForAll("dnsNames") String name) throws Exception {
        ObjectNode request = Json.MAPPER.createObjectNode().put("op", "set_dns_records");
        request.putArray("records").addObject().put("name", name).put("vm_id", vmId).put("address", ip);
        JsonNode response = Json.MAPPER.readTree(client.exchange(request.toString()));

        boolean validName = name.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
        boolean valid = validName && VmIds.PATTERN.matcher(vmId).matches() && canonicalIpv4(ip);
        assertThat(response.path("code").asText()).isEqualTo(valid ? "ok" : "invalid_request");
        assertThat(calls).hasSize(valid ? 1 : 0);
    }
}
