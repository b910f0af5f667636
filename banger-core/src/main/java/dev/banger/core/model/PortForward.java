package dev.banger.core.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.banger.core.rpc.RpcException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A host port forwarded to a guest port: {@code [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]}
 * ({@code -p} of {@code vm create|run}, {@code vm port add}). The host address is an IPv4 literal
 * (127.0.0.1 when left out); a missing protocol is tcp. Its checks are input checks: they refuse
 * with invalid params, also when the record is read from a request.
 */
public record PortForward(String hostIp, int hostPort, int guestPort, Protocol protocol) {
    public static final String DEFAULT_HOST_IP = "127.0.0.1";
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    public enum Protocol {
        TCP, UDP;

        @JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Protocol fromWire(String s) {
            return switch (s) {
                case "tcp" -> TCP;
                case "udp" -> UDP;
                default -> throw RpcException.invalid("protocol must be tcp or udp, got " + s);
            };
        }
    }

    public PortForward {
        hostIp = hostIp == null ? DEFAULT_HOST_IP : hostIp;
        protocol = protocol == null ? Protocol.TCP : protocol;
        if (!IPV4.matcher(hostIp).matches()) throw RpcException.invalid("host address must be an IPv4 address, got " + hostIp);
        checkPort(hostPort, "host port");
        checkPort(guestPort, "guest port");
    }

    private static void checkPort(int port, String what) {
        if (port < 1 || port > 65535) throw RpcException.invalid(what + " must be 1-65535, got " + port);
    }

    /** {@code [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]}; anything else is refused with a reason. */
    public static PortForward parse(String spec) {
        String text = spec == null ? "" : spec.strip();
        Protocol protocol = Protocol.TCP;
        int slash = text.lastIndexOf('/');
        if (slash >= 0) {
            String p = text.substring(slash + 1);
            if (!p.equals("tcp") && !p.equals("udp")) throw invalidSpec(spec, "protocol must be tcp or udp");
            protocol = Protocol.fromWire(p);
            text = text.substring(0, slash);
        }
        String[] parts = text.split(":", -1);
        if (parts.length < 2 || parts.length > 3) throw invalidSpec(spec, "expected [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]");
        String ip = parts.length == 3 ? parts[0] : DEFAULT_HOST_IP;
        if (!IPV4.matcher(ip).matches()) throw invalidSpec(spec, "host address must be an IPv4 address");
        return new PortForward(ip, port(parts[parts.length - 2], spec), port(parts[parts.length - 1], spec), protocol);
    }

    private static int port(String text, String spec) {
        if (!PORT.matcher(text).matches()) throw invalidSpec(spec, "a port must be a number 1-65535");
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65535) throw invalidSpec(spec, "a port must be a number 1-65535");
        return port;
    }

    private static RpcException invalidSpec(String spec, String why) {
        return RpcException.invalid("invalid port forward '" + spec + "': " + why);
    }

    /** The canonical spec, which {@link #parse} reads back to an equal record. */
    @Override
    public String toString() {
        return hostIp + ":" + hostPort + ":" + guestPort + "/" + protocol.wire();
    }

    /** The host side, which names a forward for removal: {@code HOST_IP:HOST_PORT/PROTO}. */
    public String hostSide() {
        return hostIp + ":" + hostPort + "/" + protocol.wire();
    }

    /** Two forwards that cannot both be bound: same protocol and port, and the same address or a wildcard. */
    public boolean clashesWith(PortForward other) {
        return protocol == other.protocol && hostPort == other.hostPort
                && (hostIp.equals(other.hostIp) || hostIp.equals("0.0.0.0") || other.hostIp.equals("0.0.0.0"));
    }
}
