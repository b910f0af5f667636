package dev.banger.roothelper.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.roothelper.api.DnsInfo;
import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.api.ReconcileResult;
import dev.banger.roothelper.ops.DnsOperations;
import dev.banger.roothelper.ops.HelperConfig;
import dev.banger.roothelper.ops.HostCommands;
import dev.banger.roothelper.ops.LocalRootOperations;
import dev.banger.roothelper.ops.NatOperations;
import dev.banger.roothelper.ops.NetworkOperations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records, persistence, reconcile and host wiring with temp files in place of the system's. The
 * host commands are recorded (and report no addresses, so no server is bound: the server itself is
 * DnsServerTest's, the bound helper RootHelperDnsProcessTest's).
 */
class DnsOperationsTest {
    static final String A = "0123456789abcdef";
    static final String B = "fedcba9876543210";
    static final HelperConfig CONFIG = new HelperConfig("bgr0", HelperConfig.parseSubnet("10.77.0.0/24"), 4242, 1000);

    @TempDir
    Path dir;
    final List<List<String>> commands = new CopyOnWriteArrayList<>();

    HostCommands recording() {
        return (argv, stdin) -> {
            commands.add(argv);
            return new HostCommands.CommandResult(argv, 0, argv.getFirst().equals("ip") ? "[]" : "", "");
        };
    }

    DnsPaths paths() {
        return new DnsPaths(dir.resolve("state"), dir.resolve("hosts"), dir.resolve("resolv.conf"), dir.resolve("resolved.socket"),
                Path.of("/proc/self/ns/net")); // "resolved" shares our namespace
    }

    DnsOperations operations() {
        return new DnsOperations(CONFIG, recording(), paths(), 0);
    }

    @Test
    void recordsArePersisted0600AndServedAgainByAFreshHelper() throws Exception {
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n");
        DnsInfo info = operations().setDnsRecords(List.of(new DnsRecord("a", A, "10.77.0.2"), new DnsRecord("b", B, "10.77.0.3")));
        assertThat(info).isEqualTo(new DnsInfo(2, "", dir.resolve("hosts").toString()));
        Path file = dir.resolve("state").resolve(RecordFile.NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state")))).isEqualTo("rwx------");
        assertThat(Files.readString(dir.resolve("hosts"))).contains("10.77.0.2 a.vm\n10.77.0.3 b.vm\n");

        // A restart: the hosts file lost its block meanwhile; start() loads the records and writes it back.
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n");
        DnsOperations restarted = operations();
        restarted.start();
        assertThat(Files.readString(dir.resolve("hosts"))).contains("10.77.0.2 a.vm\n10.77.0.3 b.vm\n");
        assertThat(new RecordFile(dir.resolve("state")).load()).extracting(DnsRecord::name).containsExactly("a", "b");
    }

    @Test
    void reconcileDropsTheRecordsAndHostsLinesOfDeadVms() throws Exception {
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n");
        DnsOperations ops = operations();
        ops.setDnsRecords(List.of(new DnsRecord("a", A, "10.77.0.2"), new DnsRecord("b", B, "10.77.0.3")));
        ReconcileResult result = ops.reconcile(List.of(A));
        assertThat(result.deleted()).containsExactly("dns b.vm");
        assertThat(result.errors()).isEmpty();
        assertThat(Files.readString(dir.resolve("hosts"))).contains("10.77.0.2 a.vm\n").doesNotContain("b.vm");
        assertThat(new RecordFile(dir.resolve("state")).load()).extracting(DnsRecord::vmId).containsExactly(A);
        assertThat(ops.reconcile(List.of(A)).deleted()).as("nothing more to drop").isEmpty();
        assertThat(ops.reconcile(List.of()).deleted()).containsExactly("dns a.vm");
        assertThat(Files.readString(dir.resolve("hosts"))).isEqualTo("127.0.0.1 localhost\n");
    }

    @Test
    void withResolvedRunningTheLinkIsConfiguredAndNoHostsBlockIsWritten() throws Exception {
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n");
        DnsOperations ops = operations();
        ops.setDnsRecords(List.of(new DnsRecord("a", A, "10.77.0.2")));
        assertThat(Files.readString(dir.resolve("hosts"))).contains("a.vm");
        Files.createFile(dir.resolve("resolved.socket"));

        DnsInfo info = ops.setDnsRecords(List.of(new DnsRecord("a", A, "10.77.0.2")));
        assertThat(info.hostWiring()).isEqualTo(DnsOperations.WIRING_RESOLVED);
        assertThat(Files.readString(dir.resolve("hosts"))).as("the old block removed").isEqualTo("127.0.0.1 localhost\n");

        // ensure_bridge (bridge commands recorded, not run) re-applies the link settings.
        new LocalRootOperations(new NetworkOperations(CONFIG, recording()), new NatOperations(CONFIG, recording()), ops).ensureBridge();
        assertThat(commands).contains(List.of("resolvectl", "dns", "bgr0", "10.77.0.1"),
                List.of("resolvectl", "domain", "bgr0", "~vm"), List.of("resolvectl", "dnssec", "bgr0", "no"));
    }

    @Test
    void resolvedInAnotherNetworkNamespaceIsNotConfigured() throws Exception {
        Files.createFile(dir.resolve("resolved.socket"));
        // A namespace that is not ours stands for "the helper runs under ip netns exec".
        Path other = dir.resolve("other-ns");
        Files.createSymbolicLink(other, Path.of("net:[1]"));
        assertThat(new ResolvedLink(dir.resolve("resolved.socket"), other, recording()).running()).isFalse();
        assertThat(new ResolvedLink(dir.resolve("resolved.socket"), Path.of("/proc/self/ns/net"), recording()).running()).isTrue();
        assertThat(new ResolvedLink(dir.resolve("no-socket"), Path.of("/proc/self/ns/net"), recording()).running()).isFalse();
    }

    @Test
    void upstreamsComeFromResolvConfWithoutTheBridgeAddress() throws Exception {
        Path conf = dir.resolve("resolv.conf");
        Files.writeString(conf, "# generated\nsearch example.org\nnameserver 10.77.0.1\nnameserver 192.0.2.53\noptions ndots:2\nnameserver 198.51.100.1\n");
        assertThat(ResolvConf.upstreams(conf, java.net.InetAddress.getByName("10.77.0.1")))
                .extracting(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
                .containsExactly("192.0.2.53:53", "198.51.100.1:53");
        assertThat(ResolvConf.upstreams(dir.resolve("missing"), java.net.InetAddress.getByName("10.77.0.1"))).isEmpty();
    }

    @Test
    void aDamagedRecordFileIsIgnoredNotFatal() throws Exception {
        Files.createDirectories(dir.resolve("state"));
        Files.writeString(dir.resolve("state").resolve(RecordFile.NAME), "[{\"name\":\"bad name\",\"vm_id\":\"x\",\"address\":\"1\"}]");
        DnsOperations ops = operations();
        ops.start();
        assertThat(ops.setDnsRecords(List.of()).records()).isZero();
    }
}
