package dev.banger.roothelper.ops;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The bridge's explicit MAC: without one a bridge takes its lowest port's MAC, which changes as VMs
 * come and go (and the guests' ARP caches go stale). Derived from the bridge name, so it is the
 * same on every start; locally administered, unicast.
 */
final class BridgeMac {
    private BridgeMac() { }

    static String of(String bridgeName) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(("banger-bridge:" + bridgeName).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        digest[0] = (byte) ((digest[0] & 0xfc) | 0x02);
        return HexFormat.ofDelimiter(":").formatHex(digest, 0, 6);
    }
}
