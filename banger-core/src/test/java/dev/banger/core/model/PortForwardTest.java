package dev.banger.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.Json;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PortForwardTest {
    @Provide
    Arbitrary<PortForward> forwards() {
        Arbitrary<Integer> octet = Arbitraries.integers().between(0, 255);
        Arbitrary<String> ip = Combinators.combine(octet, octet, octet, octet).as((a, b, c, d) -> a + "." + b + "." + c + "." + d);
        Arbitrary<Integer> port = Arbitraries.integers().between(1, 65535);
        return Combinators.combine(ip, port, port, Arbitraries.of(PortForward.Protocol.class)).as(PortForward::new);
    }

    @Property
    void formatThenParseIsTheSameForward(@ForAll("forwards") PortForward f) {
        assertThat(PortForward.parse(f.toString())).isEqualTo(f);
    }

    @Property
    void jsonRoundTripIsTheSameForward(@ForAll("forwards") PortForward f) throws Exception {
        assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(f), PortForward.class)).isEqualTo(f);
    }

    @Property
    void shortFormsTakeTheDefaults(@ForAll @IntRange(min = 1, max = 65535) int host, @ForAll @IntRange(min = 1, max = 65535) int guest) {
        assertThat(PortForward.parse(host + ":" + guest)).isEqualTo(new PortForward("127.0.0.1", host, guest, PortForward.Protocol.TCP));
        assertThat(PortForward.parse(host + ":" + guest + "/udp")).isEqualTo(new PortForward("127.0.0.1", host, guest, PortForward.Protocol.UDP));
    }

    @Property
    void outOfRangePortsAreRefused(@ForAll("badPorts") int bad) {
        assertRefused("8080:" + bad);
        assertRefused(bad + ":80");
    }

    @Provide
    Arbitrary<Integer> badPorts() {
        return Arbitraries.oneOf(Arbitraries.integers().between(65536, 999_999), Arbitraries.just(0));
    }

    @Property
    void textWithoutTheShapeIsRefused(@ForAll("garbage") String bad) {
        assertRefused(bad);
    }

    @Provide
    Arbitrary<String> garbage() {
        return Arbitraries.strings().withChars("abc:/-. 0123456789xz").ofMaxLength(20)
                .filter(s -> !s.strip().matches("((\\d{1,3}\\.){3}\\d{1,3}:)?\\d{1,5}:\\d{1,5}(/(tcp|udp))?"));
    }

    @Test
    void malformedSpecsAreRefusedWithOneLine() {
        for (String bad : new String[] {"", "8080", "80:", ":80", "a:b", "8080:80/sctp", "8080:80/", "1.2.3:8080:80", "256.0.0.1:1:2",
                "localhost:8080:80", "::1:8080:80", "1.2.3.4:5:6:7", "-1:80", "+80:80", "8080:80/TCP", "01.2.3.4:5:6"}) {
            assertRefused(bad);
        }
    }

    @Test
    void wildcardClashesWithEveryAddressOfThatPortAndProtocol() {
        PortForward any = PortForward.parse("0.0.0.0:8080:80");
        assertThat(any.clashesWith(PortForward.parse("127.0.0.1:8080:81"))).isTrue();
        assertThat(PortForward.parse("127.0.0.2:8080:81").clashesWith(any)).isTrue();
        assertThat(any.clashesWith(PortForward.parse("0.0.0.0:8080:80/udp"))).isFalse();
        assertThat(PortForward.parse("127.0.0.1:8080:80").clashesWith(PortForward.parse("127.0.0.2:8080:80"))).isFalse();
    }

    private static void assertRefused(String bad) {
        assertThatThrownBy(() -> PortForward.parse(bad)).as(bad).isInstanceOf(RpcException.class)
                .hasMessageNotContaining("\n")
                .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(RpcErrors.INVALID_PARAMS));
    }
}
