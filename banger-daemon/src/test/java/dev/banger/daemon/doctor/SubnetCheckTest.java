package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.DoctorStatus;
import org.junit.jupiter.api.Test;

class SubnetCheckTest {
    /** What `ip -j route` and `ip -j addr` print on this CI host (abridged). */
    private static final String ROUTES = """
            [{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},
             {"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]},
             {"dst":"10.8.0.7","dev":"wg0","flags":[]}]""";
    private static final String ADDRS = """
            [{"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8},{"family":"inet6","local":"::1","prefixlen":128}]},
             {"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"192.0.2.2","prefixlen":24}]},
             {"ifindex":3,"ifname":"banger0","addr_info":[{"family":"inet","local":"172.30.0.1","prefixlen":24}]}]""";

    private static FakeProbe host() {
        return new FakeProbe().command(FakeProbe.ok(ROUTES), "ip", "-j", "route").command(FakeProbe.ok(ADDRS), "ip", "-j", "addr");
    }

    @Test
    void aFreeSubnetIsOkAndBangersOwnBridgeIsNotACollision() {
        Finding f = new SubnetCheck("172.30.0.0/24").run(host());
        assertThat(f.status()).isEqualTo(DoctorStatus.OK);
        assertThat(f.summary()).isEqualTo("172.30.0.0/24 collides with no route or interface");
    }

    @Test
    void aSubnetOnTheHostsOwnNetworkOrCoveringAHostRouteCollides() {
        Finding f = new SubnetCheck("192.0.2.0/24").run(host());
        assertThat(f.status()).isEqualTo(DoctorStatus.WARN);
        assertThat(f.summary()).startsWith("192.0.2.0/24 collides with route 192.0.2.0/24 dev eth0");
        assertThat(f.detail()).contains("address 192.0.2.2/24 on eth0");
        assertThat(f.fix()).contains("config.toml");
        assertThat(new SubnetCheck("10.8.0.0/24").run(host()).detail()).isEqualTo("route 10.8.0.7 dev wg0");
    }

    @Test
    void prefixesOverlapWhenTheyAgreeOnTheShorterOnesBits() {
        long[] mine = SubnetCheck.cidr("172.30.0.0/24").orElseThrow();
        assertThat(SubnetCheck.overlaps(mine, SubnetCheck.cidr("172.16.0.0/12"))).isTrue();
        assertThat(SubnetCheck.overlaps(mine, SubnetCheck.cidr("172.30.1.0/24"))).isFalse();
        assertThat(SubnetCheck.overlaps(mine, SubnetCheck.cidr("172.30.0.200/32"))).isTrue();
        assertThat(SubnetCheck.cidr("300.1.1.0/24")).isEmpty();
        assertThat(SubnetCheck.cidr("fe80::/64")).isEmpty();
    }
}
