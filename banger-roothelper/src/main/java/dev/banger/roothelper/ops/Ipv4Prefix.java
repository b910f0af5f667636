package dev.banger.roothelper.ops;

import java.util.List;

/** An IPv4 network in CIDR form ({@code 10.77.0.0/24}); also a host route ({@code /32}). */
public record Ipv4Prefix(int network, int length) {
    public Ipv4Prefix {
        if (length < 0 || length > 32) {
            throw new IllegalArgumentException("prefix length must be 0..32: " + length);
        }
        network &= mask(length);
    }

    private static final List<Ipv4Prefix> PRIVATE_BLOCKS = List.of(
            new Ipv4Prefix(10 << 24, 8), new Ipv4Prefix((172 << 24) | (16 << 16), 12), new Ipv4Prefix((192 << 24) | (168 << 16), 16));

    /** {@code a.b.c.d/n}, or a bare address as a /32 (how {@code ip -j route} writes host routes). */
    public static Ipv4Prefix parse(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        int length;
        try {
            length = slash < 0 ? 32 : Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an IPv4 CIDR: " + text);
        }
        return new Ipv4Prefix(parseAddress(address), length);
    }

    static int parseAddress(String address) {
        String[] parts = address.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
        int value = 0;
        for (String part : parts) {
            if (!part.matches("[0-9]{1,3}") || Integer.parseInt(part) > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + address);
            }
            value = (value << 8) | Integer.parseInt(part);
        }
        return value;
    }

    static String formatAddress(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    private static int mask(int length) {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    public boolean contains(int address) {
        return (address & mask(length)) == network;
    }

    /** Two prefixes overlap when the shorter one contains the other's network. */
    public boolean overlaps(Ipv4Prefix other) {
        Ipv4Prefix wider = length <= other.length ? this : other;
        Ipv4Prefix narrower = wider == this ? other : this;
        return wider.contains(narrower.network);
    }

    /** RFC 1918: 10/8, 172.16/12, 192.168/16. */
    public boolean isPrivate() {
        return PRIVATE_BLOCKS.stream().anyMatch(block -> block.length <= length && block.contains(network));
    }

    /** The address of host number {@code host} in this network ({@code .1} is the gateway). */
    public String host(int host) {
        return formatAddress(network + host);
    }

    @Override
    public String toString() {
        return formatAddress(network) + "/" + length;
    }
}
