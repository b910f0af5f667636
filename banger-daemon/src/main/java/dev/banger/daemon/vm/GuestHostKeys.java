package dev.banger.daemon.vm;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A guest's SSH host public keys, from what {@link #READ} prints in the guest. The text comes from
 * the guest, so nothing of it is copied through as it is: a line counts only when its base64 blob
 * decodes to exactly the OpenSSH wire form of the type it names (the type string again, then that
 * type's fields, every byte accounted for), and the key is written back from the decoded blob with
 * the comment dropped. A half-written .pub (sshd's keygen still running) fails that check and is
 * simply not there yet.
 */
final class GuestHostKeys {
    /** No shell in the guest: the three key types {@code ssh-keygen -A} makes, by name; cat prints those that exist. */
    static final List<String> READ = List.of("cat", "/etc/ssh/ssh_host_ed25519_key.pub", "/etc/ssh/ssh_host_ecdsa_key.pub",
            "/etc/ssh/ssh_host_rsa_key.pub");

    /** Each accepted type and how many length-prefixed strings its blob holds, the type itself included. */
    private static final Map<String, Integer> FIELDS = Map.of(
            "ssh-ed25519", 2,
            "ecdsa-sha2-nistp256", 3,
            "ecdsa-sha2-nistp384", 3,
            "ecdsa-sha2-nistp521", 3,
            "ssh-rsa", 3);
    private static final int ED25519_KEY_BYTES = 32;

    private GuestHostKeys() { }

    /** The well-formed keys in {@code text}, as {@code TYPE BASE64}, in the order given, without repeats. */
    static List<String> parse(String text) {
        LinkedHashSet<String> keys = new LinkedHashSet<>();
        for (String line : text.lines().toList()) {
            String[] parts = line.strip().split("[ \t]+");
            if (parts.length < 2) continue;
            Integer fields = FIELDS.get(parts[0]);
            if (fields == null) continue;
            byte[] blob;
            try {
                blob = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException notBase64) {
                continue;
            }
            if (wellFormed(parts[0], fields, blob)) keys.add(parts[0] + " " + Base64.getEncoder().encodeToString(blob));
        }
        return List.copyOf(keys);
    }

    /**
     * Whether sshd is done making keys: the ed25519 key (the last one {@code ssh-keygen -A} makes) is
     * there, or some keys are and the same ones were there at the previous read (an image configured
     * for fewer types).
     */
    static boolean settled(List<String> keys, List<String> previous) {
        if (keys.isEmpty()) return false;
        return keys.stream().anyMatch(k -> k.startsWith("ssh-ed25519 ")) || keys.equals(previous);
    }

    private static boolean wellFormed(String type, int fields, byte[] blob) {
        ByteBuffer b = ByteBuffer.wrap(blob);
        List<byte[]> strings = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 4) return false;
            int len = b.getInt();
            if (len < 0 || len > b.remaining()) return false;
            byte[] s = new byte[len];
            b.get(s);
            strings.add(s);
        }
        if (strings.size() != fields) return false;
        if (!type.equals(new String(strings.getFirst(), StandardCharsets.US_ASCII))) return false;
        if (type.equals("ssh-ed25519")) return strings.get(1).length == ED25519_KEY_BYTES;
        for (byte[] s : strings.subList(1, strings.size())) {
            if (s.length == 0) return false;
        }
        return true;
    }
}
