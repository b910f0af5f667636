package dev.banger.roothelper.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.roothelper.api.DnsRecord;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The server over real UDP and TCP sockets on a loopback address with a kernel-chosen port (never 53,
 * never a wildcard), forwarding to an in-process upstream stub on another loopback port.
 */
class DnsServerTest {
    static final String A = "0123456789abcdef";
    static final String B = "fedcba9876543210";
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    UpstreamStub upstream;
    DnsServer server;
    final AtomicReference<DnsZone> zone = new AtomicReference<>(DnsZone.of(List.of(
            new DnsRecord("alpha", A, "10.77.0.2"), new DnsRecord("beta-2", B, "10.77.0.3"))));

    @BeforeEach
    void start() throws Exception {
        upstream = new UpstreamStub(new InetSocketAddress(LOOPBACK, 0));
        server = serverWith(List.of(upstream.address()), Duration.ofSeconds(2));
    }

    DnsServer serverWith(List<InetSocketAddress> upstreams, Duration deadline) throws Exception {
        return DnsServer.start(new InetSocketAddress(LOOPBACK, 0), new DnsResponder(zone::get, new Upstreams(upstreams, deadline)));
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        upstream.close();
    }

    static Message ask(DnsServer server, String name, int type, boolean tcp) throws Exception {
        SimpleResolver resolver = new SimpleResolver(server.address());
        resolver.setTCP(tcp);
        resolver.setTimeout(Duration.ofSeconds(5));
        return resolver.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().filter(r -> r instanceof ARecord)
                .map(r -> ((ARecord) r).getAddress().getHostAddress()).toList();
    }

    @Test
    void aVmNameIsAnsweredAuthoritativelyOverUdpAndTcp() throws Exception {
        for (boolean tcp : new boolean[] {false, true}) {
            Message answer = ask(server, "alpha.vm.", Type.A, tcp);
            assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(addresses(answer)).containsExactly("10.77.0.2");
            assertThat(answer.getHeader().getFlag(Flags.AA)).isTrue();
            assertThat(answer.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(DnsResponder.TTL_SECONDS);
        }
        assertThat(upstream.queries.get()).as(".vm never goes upstream").isZero();
    }

    @Test
    void namesAreCaseInsensitive() throws Exception {
        assertThat(addresses(ask(server, "BeTa-2.VM.", Type.A, false))).containsExactly("10.77.0.3");
    }

    @Test
    void anUnknownVmNameIsNxdomainAndOtherTypesHaveNoData() throws Exception {
        assertThat(ask(server, "gamma.vm.", Type.A, false).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(ask(server, "x.alpha.vm.", Type.A, false).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        Message aaaa = ask(server, "alpha.vm.", Type.AAAA, false);
        assertThat(aaaa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
        assertThat(upstream.queries.get()).isZero();
    }

    @Test
    void aNewZoneIsServedAtOnce() throws Exception {
        zone.set(DnsZone.of(List.of(new DnsRecord("gamma", A, "10.77.0.9"))));
        assertThat(addresses(ask(server, "gamma.vm.", Type.A, false))).containsExactly("10.77.0.9");
        assertThat(ask(server, "alpha.vm.", Type.A, false).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void otherNamesAreForwardedUpstreamOverUdpAndTcp() throws Exception {
        assertThat(addresses(ask(server, "outside.test.", Type.A, false))).containsExactly(UpstreamStub.OUTSIDE_ADDRESS);
        assertThat(addresses(ask(server, "outside.test.", Type.A, true))).containsExactly(UpstreamStub.OUTSIDE_ADDRESS);
        assertThat(ask(server, "nowhere.test.", Type.A, false).getRcode()).as("upstream's NXDOMAIN passed on").isEqualTo(Rcode.NXDOMAIN);
        assertThat(upstream.queries.get()).isEqualTo(3);
    }

    @Test
    void aDeadFirstUpstreamIsSkippedAndNoAnswerIsServfailWithinTheDeadline() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            InetSocketAddress dead = new InetSocketAddress(LOOPBACK, silent.getLocalPort());
            try (DnsServer second = serverWith(List.of(dead, upstream.address()), Duration.ofSeconds(2))) {
                assertThat(addresses(ask(second, "outside.test.", Type.A, false))).containsExactly(UpstreamStub.OUTSIDE_ADDRESS);
            }
            try (DnsServer onlyDead = serverWith(List.of(dead), Duration.ofMillis(800))) {
                long start = System.nanoTime();
                assertThat(ask(onlyDead, "outside.test.", Type.A, false).getRcode()).isEqualTo(Rcode.SERVFAIL);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            }
        }
    }

    @Test
    void noUpstreamAtAllIsServfail() throws Exception {
        try (DnsServer none = serverWith(List.of(), Duration.ofSeconds(1))) {
            assertThat(ask(none, "outside.test.", Type.A, false).getRcode()).isEqualTo(Rcode.SERVFAIL);
            assertThat(addresses(ask(none, "alpha.vm.", Type.A, false))).containsExactly("10.77.0.2");
        }
    }

    @Test
    void anOversizeDatagramAndGarbageAreDroppedAndTheServerKeepsServing() throws Exception {
        try (DatagramSocket client = new DatagramSocket()) {
            client.setSoTimeout(700);
            byte[] huge = new byte[DnsServer.MAX_QUERY_BYTES + 100];
            System.arraycopy(Message.newQuery(Record.newRecord(Name.fromString("alpha.vm."), Type.A, DClass.IN)).toWire(), 0, huge, 0, 20);
            client.send(new DatagramPacket(huge, huge.length, server.address()));
            assertThatThrownBy(() -> client.receive(new DatagramPacket(new byte[512], 512))).isInstanceOf(SocketTimeoutException.class);
            client.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, server.address()));
            assertThatThrownBy(() -> client.receive(new DatagramPacket(new byte[512], 512))).isInstanceOf(SocketTimeoutException.class);
        }
        assertThat(addresses(ask(server, "alpha.vm.", Type.A, false))).containsExactly("10.77.0.2");
    }

    @Test
    void aWildcardAddressIsRefused() {
        assertThatThrownBy(() -> DnsServer.start(new InetSocketAddress(0), new DnsResponder(zone::get, new Upstreams(List.of(), Duration.ofSeconds(1)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("never a wildcard");
    }

    @Test
    void theProbeSeesAServingServerAndNotAClosedOne() throws Exception {
        assertThat(Probe.answers(server.address())).isTrue();
        server.close();
        assertThat(Probe.answers(server.address())).isFalse();
    }
}
