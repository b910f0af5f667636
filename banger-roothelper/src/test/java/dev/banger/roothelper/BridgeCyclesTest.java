package dev.banger.roothelper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.roothelper.api.DnsRecord;
import dev.banger.roothelper.dns.DnsPaths;
import dev.banger.roothelper.ops.DnsOperations;
import dev.banger.roothelper.ops.HelperConfig;
import dev.banger.roothelper.ops.LocalRootOperations;
import dev.banger.roothelper.ops.NatOperations;
import dev.banger.roothelper.ops.NetworkOperations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, test 5: what one VM's life asks of the host, 300 times over (tap, NAT, its DNS record,
 * then all of it removed, as a create and an rm do), leaves the bridge's ports, banger's NAT set and
 * the hosts file exactly as they were. All operations are the real ones (LocalRootOperations) on real
 * kernel objects in a namespace the test makes; the hosts file is a temp file (the machine's is never
 * touched). The DNS server cannot bind the bridge address from this JVM's namespace, which only logs.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class BridgeCyclesTest {
    private static final int OWNER = 4242;
    private static final int CYCLES = 300;

    @TempDir Path dir;

    @AfterAll
    static void nothingLeft() {
        TestNetns.assertAllRemoved();
    }

    @Test
    void threeHundredVmLivesLeaveTheBridgeTheNatSetAndTheHostsFileAsTheyWere() throws Exception {
        try (TestNetns ns = new TestNetns()) {
            HelperConfig config = new HelperConfig("bgr0", HelperConfig.parseSubnet("10.77.0.0/24"), OWNER, 1000);
            Path hosts = dir.resolve("hosts");
            String original = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n";
            Files.writeString(hosts, original);
            DnsPaths paths = new DnsPaths(dir.resolve("state"), hosts, dir.resolve("resolv.conf"), dir.resolve("no-resolved.socket"),
                    Path.of("/proc/self/ns/net"));
            try (DnsOperations dns = new DnsOperations(config, ns.commands(), paths, 0)) {
                LocalRootOperations ops = new LocalRootOperations(new NetworkOperations(config, ns.commands()),
                        new NatOperations(config, ns.commands()), dns);
                ops.ensureBridge();
                String portsBefore = ns.run("ip", "-o", "link", "show", "master", "bgr0");
                String natBefore = ns.run("nft", "list", "set", "inet", "banger", "nat_vms");

                byte[] id = new byte[8];
                for (int i = 0; i < CYCLES; i++) {
                    java.util.concurrent.ThreadLocalRandom.current().nextBytes(id);
                    String vmId = HexFormat.of().formatHex(id);
                    String ip = "10.77.0." + (10 + i % 200);
                    ops.createTap(vmId);
                    ops.enableNat(vmId, ip);
                    ops.setDnsRecords(List.of(new DnsRecord("vm" + i, vmId, ip)));
                    if (i == 0) {
                        assertThat(Files.readString(hosts)).as("the record is in the hosts block while the VM lives").contains(ip + " vm" + i + ".vm");
                        assertThat(ns.run("ip", "-o", "link", "show", "master", "bgr0")).contains("bt" + vmId.substring(0, 12));
                    }
                    ops.setDnsRecords(List.of());
                    ops.disableNat(vmId);
                    ops.deleteTap(vmId);
                }

                assertThat(ns.run("ip", "-o", "link", "show", "master", "bgr0")).isEqualTo(portsBefore);
                assertThat(ns.run("nft", "list", "set", "inet", "banger", "nat_vms")).isEqualTo(natBefore);
                assertThat(Files.readString(hosts)).isEqualTo(original);
                assertThat(ns.run("ip", "-o", "link", "show")).doesNotContainPattern("bt[0-9a-f]{12}");
            }
        }
    }
}
