package dev.banger.roothelper.api;

import java.util.regex.Pattern;

/** A dotted-quad IPv4 address in canonical form (no leading zeros); which subnet it must be in is the operation's rule. */
public final class Ipv4Text {
    private static final Pattern DOTTED = Pattern.compile("^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$");

    private Ipv4Text() { }

    public static String require(String field, String address) {
        if (address == null || !DOTTED.matcher(address).matches()) {
            throw new IllegalArgumentException(field + " must be an IPv4 address like 10.77.0.5");
        }
        return address;
    }
}
