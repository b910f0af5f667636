package dev.banger.daemon.boot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GuestBootConfigTest {
    static GuestBootConfig ok() {
        return new GuestBootConfig("dev-1", "172.30.0.15", 24, "172.30.0.1", "172.30.0.3", "/home/dev", true);
    }

    @Test
    void acceptsValidConfigAndRendersVmConf() {
        String conf = new String(VmConf.render(ok()), StandardCharsets.US_ASCII);
        assertThat(conf.lines()).containsExactly("HOSTNAME=dev-1", "IP=172.30.0.15", "PREFIX=24", "GATEWAY=172.30.0.1",
                "DNS=172.30.0.3", "HOME=/home/dev", "WORK=1");
        GuestBootConfig noWork = new GuestBootConfig("a", "10.0.0.2", 8, "10.0.0.1", "1.1.1.1", "/root", false);
        assertThat(new String(VmConf.render(noWork), StandardCharsets.US_ASCII)).contains("WORK=0\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-a", "a-", "Upper", "a_b", "a.b", "a b", "$(reboot)"})
    void rejectsBadHostnames(String h) {
        assertThatThrownBy(() -> new GuestBootConfig(h, "10.0.0.2", 24, "10.0.0.1", "10.0.0.1", "/root", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hostname");
    }

    @Test
    void rejectsLongHostnameButAcceptsSixtyThree() {
        assertThatThrownBy(() -> new GuestBootConfig("a".repeat(64), "10.0.0.2", 24, "10.0.0.1", "10.0.0.1", "/root", false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new GuestBootConfig("a".repeat(63), "10.0.0.2", 24, "10.0.0.1", "10.0.0.1", "/root", false).hostname()).hasSize(63);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "1.2.3.4 ", "::1"})
    void rejectsBadAddresses(String ip) {
        assertThatThrownBy(() -> new GuestBootConfig("h", ip, 24, "10.0.0.1", "10.0.0.1", "/root", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("guest IP");
        assertThatThrownBy(() -> new GuestBootConfig("h", "10.0.0.2", 24, ip, "10.0.0.1", "/root", false))
                .hasMessageContaining("gateway");
        assertThatThrownBy(() -> new GuestBootConfig("h", "10.0.0.2", 24, "10.0.0.1", ip, "/root", false))
                .hasMessageContaining("DNS");
    }

    @Test
    void rejectsNullsAndPrefixOutOfRange() {
        assertThatThrownBy(() -> new GuestBootConfig("h", null, 24, "10.0.0.1", "10.0.0.1", "/root", false))
                .isInstanceOf(IllegalArgumentException.class);
        for (int p : new int[] {7, 31, 0, -1, 32}) {
            assertThatThrownBy(() -> new GuestBootConfig("h", "10.0.0.2", p, "10.0.0.1", "10.0.0.1", "/root", false))
                    .hasMessageContaining("prefix");
        }
        new GuestBootConfig("h", "10.0.0.2", 8, "10.0.0.1", "10.0.0.1", "/root", false);
        new GuestBootConfig("h", "10.0.0.2", 30, "10.0.0.1", "10.0.0.1", "/root", false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "home", "/", "/home/../etc", "/home/./x", "/home/a b", "/home/a\tb", "/home/$(id)",
            "/home/a;reboot", "/home/`x`", "/home/'q'"})
    void rejectsBadHomeDirs(String home) {
        assertThatThrownBy(() -> new GuestBootConfig("h", "10.0.0.2", 24, "10.0.0.1", "10.0.0.1", home, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("home");
    }
}
