package dev.banger.roothelper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.HelperClient;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.dns.HostsBlock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code remove_host_state}, what {@code banger system uninstall} sends: the real helper process in a
 * network namespace and a private mount namespace (a copy of /etc over /etc, so its hosts block is
 * written there) makes a bridge, taps, NAT and a hosts block, and afterwards the namespace's links,
 * nft tables and hosts file are listed and compared with the list from before the helper did anything.
 */
class RootHelperRemoveHostStateTest {
    static final String A = "0123456789abcdef";
    static final String B = "fedcba9876543210";
    static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    static TestNetns ns;
    static Path dir;
    static Path etc;
    static Process holder;
    static Process helper;
    static final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        ns = new TestNetns();
        dir = Files.createTempDirectory("banger-rm-");
        etc = dir.resolve("etc");
        TestNetns.host("cp", "-a", "/etc", etc.toString());
        Files.deleteIfExists(etc.resolve("hosts"));
        Files.writeString(etc.resolve("hosts"), "127.0.0.1\tlocalhost\n# kept as it is\n");
        holder = start(dir.resolve("holder.out"), "unshare", "--mount", "--propagation", "private", "sleep", "infinity");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.readSymbolicLink(Path.of("/proc", Long.toString(holder.pid()), "ns", "mnt"))
                .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")))) {
            assertThat(System.nanoTime()).as("the holder's mount namespace").isLessThan(deadline);
            Thread.sleep(20);
        }
        TestNetns.host("nsenter", "-t", Long.toString(holder.pid()), "-m", "mount", "--bind", etc.toString(), "/etc");
        if (Files.exists(Path.of("/run/systemd/resolve"))) {
            // The host's resolved must never see the test's bridge.
            TestNetns.host("nsenter", "-t", Long.toString(holder.pid()), "-m", "mount", "-t", "tmpfs", "tmpfs", "/run/systemd/resolve");
        }
    }

    static Process start(Path output, String... argv) throws IOException {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
        started.add(process);
        return process;
    }

    static void startHelper() throws Exception {
        Path socket = dir.resolve("helper.sock");
        helper = start(dir.resolve("helper.out"), "nsenter", "-t", Long.toString(holder.pid()), "-m",
                "ip", "netns", "exec", ns.name, JAVA.toString(), "-cp", System.getProperty("java.class.path"),
                RootHelper.class.getName(), "--socket", socket.toString(), "--owner-uid", "4242", "--owner-gid", "4242",
                "--audit-log", dir.resolve("audit.log").toString(), "--subnet", "10.77.0.0/24",
                "--state-dir", dir.resolve("state").toString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(socket) || Files.getPosixFilePermissions(socket).size() != 4) {
            assertThat(helper.isAlive()).as("helper died: %s", Files.readString(dir.resolve("helper.out"))).isTrue();
            assertThat(System.nanoTime()).as("the helper's socket").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** What banger could have made in the namespace: every link (name and kind), the nft tables, the hosts file. */
    static Map<String, String> hostState() throws IOException {
        Map<String, String> state = new TreeMap<>();
        for (String line : ns.run("ip", "-o", "-d", "link", "show").lines().toList()) {
            String name = line.split(":\\s+")[1].split("@")[0];
            String kind = line.contains(" bridge ") ? "bridge" : line.contains(" tun ") ? "tun" : "other";
            state.put("link " + name, kind);
        }
        state.put("nft tables", ns.run("nft", "list", "tables").strip());
        state.put("hosts", Files.readString(etc.resolve("hosts"), StandardCharsets.ISO_8859_1));
        return state;
    }

    @Test
    void removeHostStateLeavesNothingBangerMadeOnTheHost() throws Exception {
        Map<String, String> before = hostState();
        startHelper();
        try (HelperClient client = HelperClient.connect(dir.resolve("helper.sock"))) {
            client.ensureBridge();
            client.createTap(A);
            client.createTap(B);
            client.enableNat(A, "10.77.0.2");
            client.setDnsRecords(List.of(new DnsRecord("web", A, "10.77.0.2")));
            Map<String, String> made = hostState();
            assertThat(made).as("the helper made its things").containsEntry("link bgr0", "bridge").containsKey("link bt0123456789ab")
                    .containsKey("link btfedcba987654");
            assertThat(made.get("nft tables")).contains("inet banger");
            assertThat(made.get("hosts")).contains(HostsBlock.BEGIN).contains("web.vm");

            ReconcileResult removed = client.removeHostState();
            assertThat(removed.errors()).isEmpty();
            assertThat(removed.deleted()).contains("bt0123456789ab", "btfedcba987654", "bridge bgr0", "nft table inet banger", "dns web.vm");
            assertThat(hostState()).as("listed before the helper ran and after remove_host_state").isEqualTo(before);
            assertThat(Files.readString(dir.resolve("audit.log"))).contains("op=remove_host_state args={} result=ok");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nhelper output: " + Files.readString(dir.resolve("helper.out")), e);
        }
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (Process process : started.reversed()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (ns != null) ns.close();
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(file);
            }
        }
        for (Process process : started) assertThat(process.isAlive()).as("process %s ended", process.pid()).isFalse();
        TestNetns.assertAllRemoved();
        assertThat(dir).doesNotExist();
    }
}
