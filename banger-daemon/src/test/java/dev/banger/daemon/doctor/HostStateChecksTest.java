package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.DoctorStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Leftovers of crashed runs, free space, the root helper and the DNS strategy. */
class HostStateChecksTest {
    @Test
    void staleTapsTableAndHostsBlockAreEachNamedWithTheirRemoval() {
        FakeProbe host = new FakeProbe().tool("nft", "/usr/sbin/nft")
                .command(FakeProbe.ok("{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"banger\", \"handle\": 4}}]}"),
                        "nft", "-j", "list", "tables")
                .file("/etc/hosts", "127.0.0.1 localhost\n# BEGIN banger\n172.30.0.10 dev.vm\n# END banger\n");
        host.dirs.put(Path.of("/sys/class/net"), List.of("eth0", "bt0123456789ab", "bt01234567", "btXYZ3456789ab"));
        Finding f = new LeftoversCheck(false).run(host);
        assertThat(f.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(f.summary()).isEqualTo("stale from a crashed run (no root helper running): tap bt0123456789ab, nft table inet banger,"
                + " /etc/hosts block # BEGIN banger");
        assertThat(f.fix()).startsWith("sudo ip link delete bt0123456789ab; sudo nft delete table inet banger; remove the lines");
    }

    @Test
    void aCleanHostHasNoLeftoversAndAnUnreadableTableListIsSaidSo() {
        FakeProbe clean = new FakeProbe().tool("nft", "/usr/sbin/nft").command(FakeProbe.ok("{\"nftables\": []}"), "nft", "-j", "list", "tables")
                .file("/etc/hosts", "127.0.0.1 localhost\n");
        assertThat(new LeftoversCheck(false).run(clean).status()).isEqualTo(DoctorStatus.OK);
        FakeProbe denied = new FakeProbe().tool("nft", "/usr/sbin/nft");
        Finding f = new LeftoversCheck(false).run(denied);
        assertThat(f.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(f.summary()).contains("cannot list nft tables as alice");
        assertThat(LeftoversCheck.hasBangerTable("{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"banger\"}}]}")).isFalse();
    }

    @Test
    void freeSpaceBelowOneImageAndOneVmWarns() {
        FakeProbe host = new FakeProbe();
        host.usable = 1L << 30;
        Finding low = new StateSpaceCheck(Path.of("/home/u/.local/state/banger")).run(host);
        assertThat(low.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(low.summary()).isEqualTo("1.0 GiB free in the state dir, less than one image and one VM need (3.0 GiB)");
        host.usable = 50L << 30;
        assertThat(new StateSpaceCheck(Path.of("/s")).run(host).status()).isEqualTo(DoctorStatus.OK);
    }

    @Test
    void withoutAConfiguredHelperVmsUseRootlessNetworking() {
        Finding none = new RootHelperCheck(Optional.empty()).run(new FakeProbe());
        assertThat(none.status()).isEqualTo(DoctorStatus.OK);
        assertThat(none.summary()).isEqualTo("not installed: VMs use rootless networking (QEMU user networking)");
        Path sock = Path.of("/run/banger/roothelper.sock");
        assertThat(new RootHelperCheck(Optional.of(sock)).run(new FakeProbe()).status()).isEqualTo(DoctorStatus.FAIL);
        FakeProbe listening = new FakeProbe().device(sock.toString(), false);
        assertThat(new RootHelperCheck(Optional.of(sock)).run(listening).summary()).contains("refuses connections");
        listening.listening.add(sock);
        Finding noVersion = new RootHelperCheck(Optional.of(sock)).run(listening);
        assertThat(noVersion.status()).as("a helper that predates the version operation").isEqualTo(DoctorStatus.WARN);
        assertThat(noVersion.summary()).contains("does not answer the version operation");
        assertThat(noVersion.fix()).isEqualTo("sudo banger system install && sudo banger system restart");
        listening.helperVersions.put(sock, "0.0.9");
        Finding old = new RootHelperCheck(Optional.of(sock)).run(listening);
        assertThat(old.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(old.summary()).isEqualTo("reachable at " + sock + " but its version is 0.0.9, bangerd's is " + dev.banger.core.BangerVersion.VERSION);
        listening.helperVersions.put(sock, dev.banger.core.BangerVersion.VERSION);
        Finding same = new RootHelperCheck(Optional.of(sock)).run(listening);
        assertThat(same.status()).isEqualTo(DoctorStatus.OK);
        assertThat(same.summary()).isEqualTo("reachable at " + sock + ", version " + dev.banger.core.BangerVersion.VERSION);
    }

    @Test
    void dnsNamesSystemdResolvedWhenItRunsElseTheHostsFile() {
        assertThat(new DnsCheck().run(new FakeProbe().device("/run/systemd/resolve/io.systemd.Resolve", false)).summary())
                .contains("systemd-resolved per link (running)");
        assertThat(new DnsCheck().run(new FakeProbe()).summary()).contains("an /etc/hosts block");
    }
}
