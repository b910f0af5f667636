package dev.banger.roothelper.ops;

import java.util.regex.Pattern;

/**
 * What the helper was started with, fixed for its lifetime: callers of an operation can change none
 * of it. The owner is an ordinary user for the helper process (RootHelper refuses 0), and root when
 * bangerd, running as root, uses the operations in process. {@code maxPorts} is 1,000 in production (the kernel's own bound is 1,024, BR_MAX_PORTS).
 */
public record HelperConfig(String bridge, Ipv4Prefix subnet, int ownerUid, int maxPorts) {
    public static final String DEFAULT_BRIDGE = "bgr0";
    public static final int DEFAULT_MAX_PORTS = 1000;
    /** The bangerd config key that sets the subnet, named in refusals so the user knows what to change. */
    public static final String SUBNET_CONFIG_KEY = "bridge_subnet";
    private static final Pattern BRIDGE_NAME = Pattern.compile("^[a-z][a-z0-9-]{0,14}$");

    public HelperConfig {
        if (bridge == null || !BRIDGE_NAME.matcher(bridge).matches() || TapNames.isBangerTap(bridge)) {
            throw new IllegalArgumentException("bridge name must match " + BRIDGE_NAME.pattern() + " and not look like a tap name: " + bridge);
        }
        if (subnet.length() != 24 || !subnet.isPrivate()) {
            throw new IllegalArgumentException("the bridge subnet must be a private (RFC 1918) /24: " + subnet);
        }
        if (ownerUid < 0) {
            throw new IllegalArgumentException("the owner uid must not be negative: " + ownerUid);
        }
        if (maxPorts < 1 || maxPorts > 1000) {
            throw new IllegalArgumentException("max ports must be 1..1000: " + maxPorts);
        }
    }

    /** Parses the subnet strictly: {@code 10.77.0.0/24}, not {@code 10.77.0.9/24}. */
    public static Ipv4Prefix parseSubnet(String cidr) {
        Ipv4Prefix prefix = Ipv4Prefix.parse(cidr);
        if (!prefix.toString().equals(cidr)) {
            throw new IllegalArgumentException("the subnet must be written as its network address, e.g. " + prefix + ": " + cidr);
        }
        return prefix;
    }

    public String gateway() {
        return subnet.host(1);
    }
}
