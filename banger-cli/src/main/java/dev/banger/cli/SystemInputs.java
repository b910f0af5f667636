package dev.banger.cli;

import java.nio.file.Path;
import java.util.regex.Pattern;

/** Everything a system install depends on; the same inputs render the same bytes (that is what makes install idempotent). */
record SystemInputs(SystemOwner owner, Path prefix, String subnet, String version) {
    /** The shape only; the helper itself checks the rest (private, a /24, the network address) when it starts. */
    private static final Pattern SUBNET = Pattern.compile("^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.0/24$");

    SystemInputs {
        SystemOwner.checkUnitPath("--prefix", prefix);
        if (!SUBNET.matcher(subnet).matches()) throw new IllegalArgumentException("--subnet must be a /24 network like 10.77.0.0/24, got " + subnet);
        if (!version.matches("^[A-Za-z0-9._+-]+$")) throw new IllegalArgumentException("bad version " + version);
    }

    Path bangerd() {
        return prefix.resolve("bin/bangerd");
    }

    Path helper() {
        return prefix.resolve("bin/banger-roothelper");
    }
}
