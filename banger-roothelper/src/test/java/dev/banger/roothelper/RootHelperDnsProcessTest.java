package dev.banger.roothelper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.HelperClient;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.dns.HostsBlock;
import dev.banger.roothelper.ops.HostCommands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real helper process serving DNS: in a test network namespace joined by a veth pair to an
 * "uplink" namespace (where an upstream resolver plays the internet), and in a private mount
 * namespace in which a copy of /etc is bind-mounted over /etc, with its hosts file bind-mounted once
 * more the way containers do it, and then /etc made read-only as the helper's systemd unit leaves it
 * (so the in-place fallback runs: no temp file can be created beside the hosts file). The machine's
 * own /etc/hosts is checksummed before and after.
 */
class RootHelperDnsProcessTest {
    static final String A = "0123456789abcdef";
    static final String W = "fedcba9876543210";
    static final String GATEWAY = "10.77.0.1";
    static final String UPSTREAM = "10.99.0.2";
    static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    static String hostsChecksum;
    static TestNetns ns;
    static TestNetns uplink;
    static Path dir;
    static Path etc;
    static Process holder;
    static Process stub;
    static Process helper;
    static final List<Process> started = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        hostsChecksum = sha256(Path.of("/etc/hosts"));
        // Both namespaces exist before the mount namespace is made: a netns created later would not be
        // visible in it (its /run/netns mount would not propagate into a private namespace).
        ns = new TestNetns();
        uplink = new TestNetns();
        ns.run("ip", "link", "add", "vh0", "type", "veth", "peer", "name", "vu0", "netns", uplink.name);
        ns.run("ip", "addr", "add", "10.99.0.1/24", "dev", "vh0");
        ns.run("ip", "link", "set", "vh0", "up");
        uplink.run("ip", "addr", "add", UPSTREAM + "/24", "dev", "vu0");
        uplink.run("ip", "link", "set", "vu0", "up");

        dir = Files.createTempDirectory("banger-dns-");
        etc = dir.resolve("etc");
        TestNetns.host("cp", "-a", "/etc", etc.toString());
        Files.deleteIfExists(etc.resolve("resolv.conf"));
        // The bridge address first: the helper must skip it (forwarding to itself would loop).
        Files.writeString(etc.resolve("resolv.conf"), "nameserver " + GATEWAY + "\nnameserver " + UPSTREAM + "\n");
        Files.deleteIfExists(etc.resolve("hosts"));
        Files.writeString(etc.resolve("hosts"), "127.0.0.1\tlocalhost\n# kept as it is\n");

        holder = start(dir.resolve("holder.out"), "unshare", "--mount", "--propagation", "private", "sleep", "infinity");
        waitUntil(() -> !Files.readSymbolicLink(Path.of("/proc", Long.toString(holder.pid()), "ns", "mnt"))
                .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt"))), "the holder's mount namespace");
        inMounts("mount", "--bind", etc.toString(), "/etc");
        inMounts("mount", "--bind", etc.resolve("hosts").toString(), "/etc/hosts");
        // Then /etc read-only with only its hosts file writable: what the helper's systemd unit gives it
        // (ProtectSystem=strict, ReadWritePaths=-/etc/hosts). No temp file can be made beside the hosts file.
        inMounts("mount", "-o", "remount,bind,ro", "/etc");
        if (Files.exists(Path.of("/run/systemd/resolve"))) {
            // The host's resolved must never see the test's bridge: hide its socket in the namespace.
            inMounts("mount", "-t", "tmpfs", "tmpfs", "/run/systemd/resolve");
        }

        stub = start(dir.resolve("stub.out"), "ip", "netns", "exec", uplink.name, JAVA.toString(), "-cp", System.getProperty("java.class.path"),
                "dev.banger.roothelper.dns.UpstreamStub", UPSTREAM, "53");
        waitUntil(() -> Files.readString(dir.resolve("stub.out")).contains("serving"), "the upstream stub");
        startHelper();
    }

    static void startHelper() throws Exception {
        Path socket = dir.resolve("helper.sock");
        helper = start(dir.resolve("helper.out"), "nsenter", "-t", Long.toString(holder.pid()), "-m",
                "ip", "netns", "exec", ns.name, JAVA.toString(), "-cp", System.getProperty("java.class.path"),
                RootHelper.class.getName(), "--socket", socket.toString(), "--owner-uid", "4242", "--owner-gid", "4242",
                "--audit-log", dir.resolve("audit.log").toString(), "--subnet", "10.77.0.0/24",
                "--state-dir", dir.resolve("state").toString());
        waitUntil(() -> {
            assertThat(helper.isAlive()).as("helper died: %s", helperOutput()).isTrue();
            return Files.exists(socket) && Files.getPosixFilePermissions(socket).size() == 4;
        }, "the helper's socket");
    }

    static Process start(Path output, String... argv) throws IOException {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
        started.add(process);
        return process;
    }

    static void inMounts(String... argv) {
        List<String> command = new ArrayList<>(List.of("nsenter", "-t", Long.toString(holder.pid()), "-m"));
        command.addAll(List.of(argv));
        TestNetns.host(command.toArray(String[]::new));
    }

    /** A command in the helper's namespaces (mount and network), as the host side of a VM would run it. */
    static HostCommands.CommandResult onTheHost(String... argv) {
        List<String> command = new ArrayList<>(List.of("nsenter", "-t", Long.toString(holder.pid()), "-m", "ip", "netns", "exec", ns.name));
        command.addAll(List.of(argv));
        return TestNetns.HOST.run(command, "");
    }

    static String dig(String... args) {
        List<String> argv = new ArrayList<>(List.of("dig", "@" + GATEWAY, "+time=2", "+tries=1"));
        argv.addAll(List.of(args));
        HostCommands.CommandResult result = onTheHost(argv.toArray(String[]::new));
        return result.stdout().strip();
    }

    static HelperClient client() throws IOException {
        return HelperClient.connect(dir.resolve("helper.sock"));
    }

    static String helperOutput() throws IOException {
        return Files.exists(dir.resolve("helper.out")) ? Files.readString(dir.resolve("helper.out")) : "";
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitUntil(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!check.ok()) {
            assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void vmNamesResolveOnTheBridgeAndFromTheHostAndSurviveAHelperKill() throws Exception {
        try (HelperClient client = client()) {
            client.ensureBridge();
            DnsInfo info = client.setDnsRecords(List.of(new DnsRecord("a", A, "10.77.0.2"), new DnsRecord("web", W, "10.77.0.3")));
            assertThat(info).as(helperOutput()).isEqualTo(new DnsInfo(2, GATEWAY + ":53", "/etc/hosts"));
        }
        // The bridge resolver, over UDP and TCP, any case; an unknown .vm name is NXDOMAIN.
        assertThat(dig("+short", "a.vm")).isEqualTo("10.77.0.2");
        assertThat(dig("+short", "+tcp", "WEB.Vm")).isEqualTo("10.77.0.3");
        assertThat(dig("nope.vm")).contains("status: NXDOMAIN");
        // Every other name goes to the upstream in the uplink namespace.
        assertThat(dig("+short", "outside.test")).isEqualTo("192.0.2.7");
        // Bound on the gateway only, never on a wildcard.
        String listening = onTheHost("ss", "-Hlnu", "sport", "=", ":53").stdout() + onTheHost("ss", "-Hlnt", "sport", "=", ":53").stdout();
        // Java's sockets are dual-stack, so ss prints the IPv4 address mapped: [::ffff:10.77.0.1]:53.
        List<String> locals = listening.lines().map(line -> line.trim().split("\\s+")[3]).toList();
        assertThat(locals).hasSize(2).allMatch(local -> local.matches("(\\[::ffff:)?10\\.77\\.0\\.1]?:53"), "the gateway, no wildcard");

        // The host side resolves through the hosts block (nsswitch "files"), in the same namespaces.
        assertThat(onTheHost("getent", "hosts", "a.vm").stdout()).startsWith("10.77.0.2").contains("a.vm");
        assertThat(Files.readString(etc.resolve("hosts"))).isEqualTo("127.0.0.1\tlocalhost\n# kept as it is\n"
                + HostsBlock.BEGIN + "\n10.77.0.2 a.vm\n10.77.0.3 web.vm\n" + HostsBlock.END + "\n");
        assertThat(helperOutput()).as("the bind-mounted hosts file is rewritten in place").contains("rewriting it in place");

        // SIGKILL and restart: the persisted records are served before anyone pushes again.
        helper.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertThat(dig("+short", "a.vm")).as("nobody serves while the helper is dead").doesNotContain("10.77.0.2");
        startHelper();
        waitUntil(() -> dig("+short", "a.vm").equals("10.77.0.2"), "the restarted helper to answer a.vm: " + helperOutput());
        assertThat(dig("+short", "outside.test")).isEqualTo("192.0.2.7");

        // Reconcile drops the dead VM's record and its hosts line.
        try (HelperClient client = client()) {
            ReconcileResult result = client.reconcile(List.of(A));
            assertThat(result.deleted()).contains("dns web.vm");
        }
        assertThat(dig("web.vm")).contains("status: NXDOMAIN");
        assertThat(onTheHost("getent", "hosts", "web.vm").ok()).isFalse();
        assertThat(Files.readString(etc.resolve("hosts"))).doesNotContain("web.vm");

        // The address vanishes and comes back with ensure_bridge: still served.
        ns.run("ip", "addr", "flush", "dev", "bgr0");
        try (HelperClient client = client()) {
            client.ensureBridge();
        }
        assertThat(dig("+short", "a.vm")).isEqualTo("10.77.0.2");
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (Process process : started.reversed()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (ns != null) {
            ns.close();
        }
        if (uplink != null) {
            uplink.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        for (Process process : started) {
            assertThat(process.isAlive()).as("process %s ended", process.pid()).isFalse();
        }
        TestNetns.assertAllRemoved();
        assertThat(dir).doesNotExist();
        assertThat(sha256(Path.of("/etc/hosts"))).as("the machine's /etc/hosts is untouched").isEqualTo(hostsChecksum);
    }
}
