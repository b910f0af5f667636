package dev.banger.daemon.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** QEMU 7.2's "info usernet" as libslirp prints it: the forward listeners are not connections. */
class UsernetConnectionsTest {
    private static final String LISTENERS_ONLY = """
            Hub -1 (net0):
              Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ
              TCP[HOST_FORWARD]  13       127.0.0.1 40022     172.30.0.10    22     0     0
              TCP[HOST_FORWARD]  14       127.0.0.1  8080     172.30.0.10    80     0     0
              UDP[236 sec]       15     172.30.0.10 41234       172.30.0.3    53     0     0
            """;

    @Test
    void listenersAndUdpAreNotConnections() {
        assertThat(UsernetConnections.count(LISTENERS_ONLY)).isZero();
    }

    @Test
    void establishedAndHalfClosedConnectionsCount() {
        String withSsh = LISTENERS_ONLY + """
                  TCP[ESTABLISHED]   16       127.0.0.1 51514     172.30.0.10    22     0     0
                  TCP[FIN_WAIT_2]    17       127.0.0.1 51516     172.30.0.10    22     0     0
                  TCP[TIME_WAIT]     18       127.0.0.1 51518     172.30.0.10    22     0     0
                """;
        assertThat(UsernetConnections.count(withSsh)).isEqualTo(2);
    }
}
