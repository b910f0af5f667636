package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.PortForward;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Which host addresses a forward may use, asked of this host's own interfaces (VmPortServiceTest has the refusal of a foreign one). */
class HostPortsTest {
    @Test
    void loopbackTheWildcardAndAnInterfacesAddressAreThisHosts() throws Exception {
        assertThat(HostPorts.isThisHosts(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThat(HostPorts.isThisHosts(InetAddress.getByName("127.0.0.2"))).as("all of 127/8").isTrue();
        assertThat(HostPorts.isThisHosts(InetAddress.getByName("0.0.0.0"))).isTrue();
        assertThat(HostPorts.isThisHosts(InetAddress.getByName("::1"))).isTrue();
        assertThat(HostPorts.isThisHosts(ownAddress())).isTrue();
        assertThat(HostPorts.isThisHosts(InetAddress.getByName("192.0.2.1"))).as("TEST-NET-1").isFalse();
    }

    @Test
    void aPortHeldOnAnInterfacesAddressIsAConflictNotAForeignAddress() throws Exception {
        InetAddress own = ownAddress();
        try (ServerSocket held = new ServerSocket()) {
            held.bind(new InetSocketAddress(own, 0));
            PortForward f = PortForward.parse(own.getHostAddress() + ":" + held.getLocalPort() + ":80");
            assertThatThrownBy(() -> new HostPorts(0).checkFree(f))
                    .isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(RpcErrors.CONFLICT))
                    .hasMessageContaining("is in use");
        }
    }

    private static InetAddress ownAddress() throws Exception {
        return GuestTcpTableTest.nonLoopbackIpv4();
    }
}
