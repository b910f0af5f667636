package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.DoctorStatus;
import org.junit.jupiter.api.Test;

/** nftables, ip_forward and the FORWARD policy: what each means depends on rootless or bridged networking. */
class NetworkChecksTest {
    private static final Networking BRIDGED = new Networking(true);

    @Test
    void nftIsReportedWithItsVersionAndItsAbsenceOnlyFailsBridgedNetworking() {
        FakeProbe host = new FakeProbe().tool("nft", "/usr/sbin/nft").command(FakeProbe.ok("nftables v1.0.6 (Lester Gooch #5)\n"), "nft", "--version");
        Finding f = new NftablesCheck(Networking.ROOTLESS).run(host);
        assertThat(f.status()).isEqualTo(DoctorStatus.OK);
        assertThat(f.summary()).isEqualTo("present: nftables v1.0.6 (Lester Gooch #5)");
        assertThat(new NftablesCheck(Networking.ROOTLESS).run(new FakeProbe()).status()).isEqualTo(DoctorStatus.WARN);
        assertThat(new NftablesCheck(BRIDGED).run(new FakeProbe()).status()).isEqualTo(DoctorStatus.FAIL);
    }

    @Test
    void ipForwardOffMattersOnlyToBridgedVms() {
        FakeProbe off = new FakeProbe().file("/proc/sys/net/ipv4/ip_forward", "0\n");
        Finding rootless = new IpForwardCheck(Networking.ROOTLESS).run(off);
        assertThat(rootless.status()).isEqualTo(DoctorStatus.OK);
        assertThat(rootless.summary()).startsWith("off; not needed with rootless networking");
        Finding bridged = new IpForwardCheck(BRIDGED).run(off);
        assertThat(bridged.status()).isEqualTo(DoctorStatus.FAIL);
        assertThat(bridged.fix()).startsWith("sudo sysctl -w net.ipv4.ip_forward=1");
        assertThat(new IpForwardCheck(BRIDGED).run(new FakeProbe().file("/proc/sys/net/ipv4/ip_forward", "1\n")).status())
                .isEqualTo(DoctorStatus.OK);
    }

    private static FakeProbe ruleset(String json) {
        return new FakeProbe().tool("nft", "/usr/sbin/nft").command(FakeProbe.ok(json), "nft", "-j", "list", "ruleset");
    }

    @Test
    void aForwardPolicyOfDropIsFoundInTheRuleset() {
        String json = """
                {"nftables": [{"metainfo": {"version": "1.0.6"}},
                 {"table": {"family": "inet", "name": "filter", "handle": 1}},
                 {"chain": {"family": "inet", "table": "filter", "name": "forward", "handle": 2, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
                 {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 3, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}}]}
                """;
        Finding bridged = new ForwardPolicyCheck(BRIDGED).run(ruleset(json));
        assertThat(bridged.status()).isEqualTo(DoctorStatus.FAIL);
        assertThat(bridged.summary()).isEqualTo("a FORWARD policy of drop will drop bridged VM traffic");
        assertThat(bridged.detail()).isEqualTo("forward hook with policy drop: inet filter forward; ");
        assertThat(bridged.fix()).contains("sudo nft insert rule inet filter forward iifname <bridge> accept");
        assertThat(new ForwardPolicyCheck(Networking.ROOTLESS).run(ruleset(json)).status()).isEqualTo(DoctorStatus.OK);
    }

    @Test
    void aDockerRulesetIsNamedAsSuch() {
        String json = """
                {"nftables": [{"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "hook": "forward", "policy": "drop"}},
                 {"chain": {"family": "ip", "table": "filter", "name": "DOCKER-USER"}}]}
                """;
        Finding f = new ForwardPolicyCheck(BRIDGED).run(ruleset(json));
        assertThat(f.summary()).startsWith("a Docker ruleset");
        assertThat(f.fix()).contains("DOCKER-USER");
    }

    @Test
    void anEmptyRulesetPassesAndAnUnreadableOneIsSaidSo() {
        assertThat(new ForwardPolicyCheck(BRIDGED).run(ruleset("{\"nftables\": [{\"metainfo\": {}}]}")).status()).isEqualTo(DoctorStatus.OK);
        String accepting = """
                {"nftables": [{"chain": {"family": "inet", "table": "filter", "name": "forward", "hook": "forward", "policy": "accept"}},
                 {"chain": {"family": "inet", "table": "filter", "name": "input", "hook": "input", "policy": "drop"}}]}
                """;
        assertThat(new ForwardPolicyCheck(BRIDGED).run(ruleset(accepting)).status()).as("accept on forward, drop on input only").isEqualTo(DoctorStatus.OK);
        FakeProbe denied = new FakeProbe().tool("nft", "/usr/sbin/nft")
                .command(new HostProbe.Output(1, "", "Error: Operation not permitted\n"), "nft", "-j", "list", "ruleset");
        Finding f = new ForwardPolicyCheck(BRIDGED).run(denied);
        assertThat(f.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(f.summary()).isEqualTo("cannot read the ruleset as alice");
        assertThat(f.detail()).isEqualTo("Error: Operation not permitted");
    }
}
