package dev.banger.daemon.image.build;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The mmdebstrap argument list, built only from validated parts (it is never a shell string). */
final class MmdebstrapCommand {
    // Debian policy 5.6.1 package names; also keeps ',' (the --include separator) and '-'-leading words out.
    private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]{1,127}");
    private static final Pattern SUITE = Pattern.compile("[a-z][a-z0-9.-]{0,63}");

    private MmdebstrapCommand() { }

    /** Arguments for a minbase build of suite that writes a tar to stdout. */
    static List<String> build(MmdebstrapMode mode, String suite, List<String> packages, URI mirror) {
        validate(suite, packages, mirror);
        List<String> cmd = new ArrayList<>(List.of("mmdebstrap", "--mode=" + mode.arg, "--variant=minbase", "--format=tar"));
        if (!packages.isEmpty()) {
            cmd.add("--include=" + String.join(",", packages));
        }
        // mmdebstrap already empties /var/cache/apt/archives and /var/lib/apt/lists by default
        // (its cleanup/apt/* steps); we rely on that rather than a shell hook.
        cmd.add(suite);
        cmd.add("-");
        cmd.add(mirror.toString());
        return List.copyOf(cmd);
    }

    static void validate(String suite, List<String> packages, URI mirror) {
        if (suite == null || !SUITE.matcher(suite).matches()) {
            throw new IllegalArgumentException("invalid suite name: " + suite);
        }
        if (packages == null) {
            throw new IllegalArgumentException("packages must not be null");
        }
        for (String p : packages) {
            if (p == null || !PACKAGE.matcher(p).matches()) {
                throw new IllegalArgumentException("invalid package name: " + p);
            }
        }
        if (mirror == null || mirror.getScheme() == null) {
            throw new IllegalArgumentException("mirror must be an absolute URI: " + mirror);
        }
        String scheme = mirror.getScheme();
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("file")) {
            throw new IllegalArgumentException("mirror must be http, https or file: " + mirror);
        }
        // mmdebstrap treats an argument containing spaces as a whole sources.list line.
        String s = mirror.toString();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                throw new IllegalArgumentException("mirror contains whitespace or control characters: " + mirror);
            }
        }
    }
}
