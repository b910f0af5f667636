package dev.banger.daemon.boot;

import java.util.regex.Pattern;

/**
 * What the guest's /init needs to know. Every value ends up in vm.conf, which init.sh sources,
 * so the validation here is what keeps shell syntax out of PID 1.
 */
public record GuestBootConfig(String hostname, String guestIp, int prefixLength, String gateway, String dns,
                              String homeDir, boolean hasWorkDisk) {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");
    // Stricter than "absolute, no whitespace": vm.conf is sourced by sh, so quotes, '$', ';', '`' etc. must not pass.
    private static final Pattern HOME = Pattern.compile("/[A-Za-z0-9._@+/-]*");

    public GuestBootConfig {
        if (hostname == null || !LABEL.matcher(hostname).matches()) {
            throw new IllegalArgumentException("hostname must be a DNS label (a-z, 0-9, '-', 1-63 chars, no leading/trailing '-'): " + hostname);
        }
        requireIpv4("guest IP", guestIp);
        requireIpv4("gateway", gateway);
        requireIpv4("DNS server", dns);
        if (prefixLength < 8 || prefixLength > 30) {
            throw new IllegalArgumentException("prefix length must be between 8 and 30: " + prefixLength);
        }
        if (homeDir == null || !HOME.matcher(homeDir).matches()) {
            throw new IllegalArgumentException("home dir must be an absolute path of letters, digits and ._@+-/: " + homeDir);
        }
        for (String part : homeDir.split("/")) {
            if (part.equals("..") || part.equals(".")) {
                throw new IllegalArgumentException("home dir must not contain '.' or '..' components: " + homeDir);
            }
        }
        if (homeDir.equals("/")) {
            throw new IllegalArgumentException("home dir must not be /");
        }
    }

    private static void requireIpv4(String what, String ip) {
        String[] parts = ip == null ? new String[0] : ip.split("\\.", -1);
        boolean ok = parts.length == 4;
        for (int i = 0; ok && i < 4; i++) {
            ok = OCTET.matcher(parts[i]).matches() && Integer.parseInt(parts[i]) <= 255;
        }
        if (!ok) {
            throw new IllegalArgumentException(what + " must be a dotted-quad IPv4 address: " + ip);
        }
    }
}
