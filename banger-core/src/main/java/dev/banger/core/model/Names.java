package dev.banger.core.model;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/** VM names and IDs. A name flows into hostnames, DNS records and paths, so it must be a DNS label. */
public final class Names {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final List<String> ADJECTIVES = List.of(
            "brave", "calm", "clever", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lively",
            "lucky", "merry", "nimble", "proud", "quick", "quiet", "rapid", "shiny", "silly", "sunny",
            "swift", "tidy", "vivid", "witty", "zesty", "bold", "crisp", "dapper", "fuzzy", "mellow");
    private static final List<String> NOUNS = List.of(
            "otter", "falcon", "badger", "heron", "lynx", "marmot", "newt", "panda", "quokka", "raven",
            "salmon", "tapir", "walrus", "yak", "zebra", "beaver", "coyote", "dingo", "ferret", "gecko",
            "ibis", "koala", "lemur", "moose", "narwhal", "ocelot", "puffin", "robin", "stoat", "wombat");

    private Names() { }

    public static void validateVmName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("vm name must not be empty");
        }
        if (!DNS_LABEL.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid vm name \"" + printable(name)
                    + "\": use 1-63 lowercase letters, digits and '-', not starting or ending with '-'");
        }
    }

    public static String generateVmName() {
        return ADJECTIVES.get(RANDOM.nextInt(ADJECTIVES.size())) + "-" + NOUNS.get(RANDOM.nextInt(NOUNS.size()));
    }

    /** 64 random bits as 16 hex chars: short enough for Unix socket paths, unique enough for one host. */
    public static String newId() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    static String printable(String s) {
        return s.codePoints().map(c -> c < 0x20 || c == 0x7f ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }
}
