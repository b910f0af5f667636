package dev.banger.roothelper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.roothelper.ops.HelperConfig;
import dev.banger.roothelper.ops.Ipv4Prefix;
import dev.banger.roothelper.ops.TapNames;
import org.junit.jupiter.api.Test;

class HelperConfigTest {
    static HelperConfig config(String bridge, String subnet) {
        return new HelperConfig(bridge, HelperConfig.parseSubnet(subnet), 1000, 1000);
    }

    @Test
    void theSubnetMustBeAPrivateSlash24WrittenAsItsNetwork() {
        assertThat(config("bgr0", "10.77.0.0/24").gateway()).isEqualTo("10.77.0.1");
        assertThat(config("bgr0", "172.31.255.0/24").gateway()).isEqualTo("172.31.255.1");
        assertThat(config("bgr0", "192.168.7.0/24").gateway()).isEqualTo("192.168.7.1");
        assertThatThrownBy(() -> config("bgr0", "8.8.8.0/24")).hasMessageContaining("private");
        assertThatThrownBy(() -> config("bgr0", "172.32.0.0/24")).hasMessageContaining("private");
        assertThatThrownBy(() -> config("bgr0", "10.77.0.0/16")).hasMessageContaining("/24");
        assertThatThrownBy(() -> config("bgr0", "10.77.0.9/24")).hasMessageContaining("10.77.0.0/24");
        assertThatThrownBy(() -> config("bgr0", "10.77.0/24")).hasMessageContaining("IPv4");
        assertThatThrownBy(() -> config("bgr0", "10.77.0.256/24")).hasMessageContaining("IPv4");
    }

    @Test
    void theBridgeNameIsAShortPlainNameThatIsNotATapName() {
        assertThatThrownBy(() -> config("bgr0; rm", "10.77.0.0/24")).hasMessageContaining("bridge name");
        assertThatThrownBy(() -> config("a-very-long-bridge", "10.77.0.0/24")).hasMessageContaining("bridge name");
        assertThatThrownBy(() -> config("bt0123456789ab", "10.77.0.0/24")).hasMessageContaining("tap name");
        assertThatThrownBy(() -> new HelperConfig("bgr0", HelperConfig.parseSubnet("10.77.0.0/24"), -1, 1000)).hasMessageContaining("owner uid");
    }

    @Test
    void rootMayOwnTheTapsOnlyInProcessTheHelperProcessRefusesIt() {
        // bangerd as root runs the operations itself, taps owned by root; the helper serves an ordinary user only.
        org.assertj.core.api.Assertions.assertThat(new HelperConfig("bgr0", HelperConfig.parseSubnet("10.77.0.0/24"), 0, 1000).ownerUid()).isZero();
        RootHelper main = new RootHelper();
        org.assertj.core.api.Assertions.assertThat(new picocli.CommandLine(main).execute("--socket", "/nonexistent/h.sock",
                "--owner-uid", "0", "--audit-log", "/nonexistent/a.log", "--subnet", "10.77.0.0/24")).isNotZero();
    }

    @Test
    void prefixesOverlapWhenTheWiderContainsTheOther() {
        Ipv4Prefix subnet = Ipv4Prefix.parse("10.77.0.0/24");
        assertThat(subnet.overlaps(Ipv4Prefix.parse("10.0.0.0/8"))).isTrue();
        assertThat(subnet.overlaps(Ipv4Prefix.parse("10.77.0.128/25"))).isTrue();
        assertThat(subnet.overlaps(Ipv4Prefix.parse("10.77.0.200"))).isTrue();
        assertThat(subnet.overlaps(Ipv4Prefix.parse("10.77.1.0/24"))).isFalse();
        assertThat(subnet.overlaps(Ipv4Prefix.parse("10.76.255.255"))).isFalse();
    }

    @Test
    void tapNamesFitLinuxsLimitAndAreDerivedOnlyFromValidIds() {
        assertThat(TapNames.forVm("0123456789abcdef")).isEqualTo("bt0123456789ab").hasSizeLessThanOrEqualTo(15);
        assertThat(TapNames.isBangerTap("bt0123456789ab")).isTrue();
        assertThat(TapNames.isBangerTap("bgr0")).isFalse();
        assertThatThrownBy(() -> TapNames.forVm("../../x")).isInstanceOf(IllegalArgumentException.class);
    }
}
