package dev.banger.roothelper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.roothelper.api.HelperClient;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.HelperWire;
import dev.banger.roothelper.api.TapInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real helper process ({@link RootHelper#main}) run under {@code ip netns exec} in a namespace
 * of the test's own, its owner a throwaway user, and clients connecting as that user, as root and
 * as a foreign uid.
 */
class RootHelperProcessTest {
    static final String VM = "a1b2c3d4e5f60718";
    static TestNetns ns;
    static String user;
    static int ownerUid;
    static int ownerGid;
    static Path dir;
    static Path socket;
    static Path audit;
    static Process helper;

    @BeforeAll
    static void startHelper() throws Exception {
        ns = new TestNetns();
        user = "banger-rt-" + HexFormat.of().formatHex(randomBytes());
        TestNetns.host("useradd", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", user);
        ownerUid = Integer.parseInt(TestNetns.host("id", "-u", user).strip());
        ownerGid = Integer.parseInt(TestNetns.host("id", "-g", user).strip());
        dir = Files.createTempDirectory("banger-rt-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        socket = dir.resolve("helper.sock");
        audit = dir.resolve("audit.log");
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns.name,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                RootHelper.class.getName(), "--socket", socket.toString(), "--owner-uid", Integer.toString(ownerUid),
                "--audit-log", audit.toString(), "--subnet", "10.77.0.0/24",
                // Its own state dir: never the machine's /var/lib/banger-roothelper.
                "--state-dir", dir.resolve("state").toString()));
        helper = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("helper.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(socket) || Files.getPosixFilePermissions(socket).size() != 4) {
            assertThat(helper.isAlive()).as("helper died: %s", output()).isTrue();
            assertThat(System.nanoTime()).as("helper did not bind").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    static byte[] randomBytes() {
        byte[] bytes = new byte[3];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    static String output() throws IOException {
        return Files.readString(dir.resolve("helper.out"));
    }

    @AfterAll
    static void stopEverything() throws Exception {
        List<Throwable> errors = new ArrayList<>();
        try {
            if (helper != null) {
                helper.destroy();
                if (!helper.waitFor(10, TimeUnit.SECONDS)) {
                    helper.destroyForcibly().waitFor();
                }
                helper.descendants().forEach(ProcessHandle::destroyForcibly);
            }
        } catch (RuntimeException e) {
            errors.add(e);
        }
        if (ns != null) {
            ns.close();
        }
        if (user != null) {
            TestNetns.HOST.run(List.of("userdel", user), "");
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(dir);
        }
        assertThat(errors).isEmpty();
        assertThat(helper == null || !helper.isAlive()).as("helper process ended").isTrue();
        TestNetns.assertAllRemoved();
        assertThat(TestNetns.HOST.run(List.of("id", user), "").ok()).as("user %s removed", user).isFalse();
        assertThat(dir).doesNotExist();
    }

    /** Runs LineClient as {@code uid}:{@code gid} with no supplementary groups. */
    static JsonNode sendAs(int uid, int gid, String line) throws Exception {
        var result = TestNetns.HOST.run(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData", "-cp", testClasses(),
                LineClient.class.getName(), socket.toString(), line), "");
        assertThat(result.exitCode()).as("client: %s", result.stderr()).isZero();
        return Json.MAPPER.readTree(result.stdout());
    }

    static String testClasses() {
        return Path.of(LineClient.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
    }

    @Test
    void theSocketIs0660WithTheOwnersGroup() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
        assertThat((int) Files.getAttribute(socket, "unix:gid")).isEqualTo(ownerGid);
        assertThat((int) Files.getAttribute(socket, "unix:uid")).isZero();
    }

    @Test
    void theOwnerIsServedAndItsTapIsItsOwn() throws Exception {
        JsonNode bridge = sendAs(ownerUid, ownerGid, "{\"op\":\"ensure_bridge\"}");
        assertThat(bridge.path("code").asText()).as(bridge.toString()).isEqualTo("ok");
        JsonNode tap = sendAs(ownerUid, ownerGid, "{\"op\":\"create_tap\",\"vm_id\":\"" + VM + "\"}");
        assertThat(tap.path("code").asText()).as(tap.toString()).isEqualTo("ok");
        String name = tap.path("result").path("name").asText();
        JsonNode link = Json.MAPPER.readTree(ns.run("ip", "-j", "-d", "link", "show", "dev", name)).get(0);
        // ip prints the owner by name when the uid has one.
        assertThat(link.path("linkinfo").path("info_data").path("user").asText()).isIn(user, Integer.toString(ownerUid));
        assertThat(sendAs(ownerUid, ownerGid, "{\"op\":\"create_tap\",\"vm_id\":\"" + VM + "\"}").path("code").asText())
                .as("idempotent for a named owner").isEqualTo("ok");
        assertThat(Files.readString(audit)).containsPattern(
                "peer=" + ownerUid + " op=create_tap args=\\{\"vm_id\":\"" + VM + "\"\\} result=ok duration_ms=[0-9.]+ message=-");
    }

    @Test
    void theHelperSaysItsVersionAndAVersionRequestTakesNoFields() throws Exception {
        JsonNode v = sendAs(ownerUid, ownerGid, "{\"op\":\"version\"}");
        assertThat(v.path("code").asText()).as(v.toString()).isEqualTo("ok");
        assertThat(v.path("result").path("version").asText()).isEqualTo(dev.banger.core.BangerVersion.VERSION);
        try (HelperClient client = HelperClient.connect(socket)) {
            assertThat(client.version().version()).isEqualTo(dev.banger.core.BangerVersion.VERSION);
            assertThat(code(client.exchange("{\"op\":\"version\",\"of\":\"qemu\"}"))).isEqualTo("invalid_request");
        }
        assertThat(Files.readString(audit)).containsPattern("peer=" + ownerUid + " op=version args=\\{\\} result=ok");
    }

    @Test
    void aForeignUidIsRefusedEvenWithTheSocketsGroup() throws Exception {
        // In the owner's group, so the file mode lets it connect: the refusal is the uid check's.
        JsonNode response = sendAs(65534, ownerGid, "{\"op\":\"delete_tap\",\"vm_id\":\"" + VM + "\"}");
        assertThat(response.path("code").asText()).isEqualTo("forbidden");
        assertThat(response.path("message").asText()).contains("not served");
        assertThat(Files.readString(audit)).containsPattern("peer=(nobody|65534) op=- args=- result=forbidden");
    }

    @Test
    void malformedRequestsAreRefusedWithOneLineEach() throws Exception {
        try (HelperClient client = HelperClient.connect(socket)) {
            assertThat(code(client.exchange("{\"op\":\"create_tap\",\"vm_id\":\"" + VM + "\",\"name\":\"eth0\"}"))).isEqualTo("invalid_request");
            assertThat(code(client.exchange("{\"op\":\"create_tap\",\"vm_id\":\"a1b2c3d4 e5f60718\"}"))).isEqualTo("invalid_request");
            assertThat(code(client.exchange("{\"op\":\"create_tap\",\"vm_id\":\"../../etc/passwd\"}"))).isEqualTo("invalid_request");
            assertThat(code(client.exchange("{\"op\":\"create_tap\",\"vm_id\":\"a1b2c3d4/5f60718\"}"))).isEqualTo("invalid_request");
            assertThat(code(client.exchange("{\"op\":\"format_disk\"}"))).isEqualTo("invalid_request");
            assertThat(code(client.exchange("not json"))).isEqualTo("invalid_request");
            assertThat(code(client.exchange("{\"op\":\"ensure_bridge\"}"))).as("the connection still serves").isEqualTo("ok");
            assertThat(client.ensureBridge().name()).isEqualTo("bgr0");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nhelper output: " + output(), e);
        }
    }

    @Test
    void anOversizeLineIsRefusedAndTheConnectionClosed() throws Exception {
        try (HelperClient client = HelperClient.connect(socket)) {
            String huge = "{\"op\":\"reconcile\",\"live_vm_ids\":[\"" + "a".repeat(HelperWire.MAX_REQUEST_BYTES) + "\"]}";
            JsonNode response = Json.MAPPER.readTree(client.exchange(huge));
            assertThat(response.path("code").asText()).isEqualTo("too_large");
            assertThatThrownBy(() -> client.exchange("{\"op\":\"ensure_bridge\"}")).isInstanceOfAny(HelperException.class, RuntimeException.class);
        }
    }

    @Test
    void theTypedClientGetsTypedResultsAndCodes() throws Exception {
        try (HelperClient client = HelperClient.connect(socket)) {
            client.ensureBridge();
            TapInfo tap = client.createTap("0000111122223333");
            assertThat(tap.bridge()).isEqualTo("bgr0");
            assertThat(client.deleteTap("0000111122223333").existed()).isTrue();
            assertThat(client.deleteTap("0000111122223333").existed()).isFalse();
        }
        assertThat(Files.readString(audit, StandardCharsets.UTF_8).lines().filter(l -> l.contains("op=delete_tap")).count()).isGreaterThanOrEqualTo(2);
    }

    static String code(String line) throws Exception {
        return Json.MAPPER.readTree(line).path("code").asText();
    }
}
