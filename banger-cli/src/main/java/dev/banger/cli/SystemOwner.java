package dev.banger.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** The user a system install serves: bangerd runs as them, the helper serves their uid only. */
record SystemOwner(String name, int uid, int gid, Path home) {
    /** A POSIX-ish user name; no '$' (machine accounts) and nothing systemd would read as a specifier or a quote. */
    private static final Pattern NAME = Pattern.compile("^[a-z_][a-z0-9_-]{0,31}$");
    /** Paths that go into unit lines verbatim: no whitespace, quotes, '%' (specifiers), '$' or '\' (escapes). */
    static final Pattern UNIT_SAFE_PATH = Pattern.compile("^/[A-Za-z0-9._/+-]*$");

    SystemOwner {
        if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("owner must be a user name like alice, got \"" + name + "\"");
        if (uid <= 0) throw new IllegalArgumentException("owner must be an ordinary user, not uid " + uid + " (the helper always serves root)");
        if (gid < 0) throw new IllegalArgumentException("owner gid must not be negative, got " + gid);
        checkUnitPath("owner " + name + "'s home", home);
    }

    static Path checkUnitPath(String what, Path p) {
        if (!p.isAbsolute() || !p.normalize().equals(p) || !UNIT_SAFE_PATH.matcher(p.toString()).matches()) {
            throw new IllegalArgumentException(what + " must be a normalized absolute path of letters, digits and ._/+- only (it goes into unit files), got " + p);
        }
        return p;
    }

    /** The owner's XDG dirs as bangerd computes them under systemd (HOME set by User=, XDG_RUNTIME_DIR set by the unit). */
    Path stateDir() {
        return home.resolve(".local/state/banger");
    }

    Path configDir() {
        return home.resolve(".config/banger");
    }

    Path runtimeParent() {
        return Path.of("/run/user", Integer.toString(uid));
    }

    /** {@code getent passwd NAME} (NSS, so LDAP users work too), one line: name:x:uid:gid:gecos:home:shell. */
    static SystemOwner lookup(String name) throws IOException {
        if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("owner must be a user name like alice, got \"" + name + "\"");
        Process p = new ProcessBuilder(List.of("getent", "passwd", name)).redirectErrorStream(true).start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) throw new IllegalArgumentException("no user " + name + " on this host (getent passwd " + name + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted looking up " + name, e);
        }
        String[] f = out.lines().findFirst().orElse("").split(":", -1);
        if (f.length < 7) throw new IOException("getent passwd " + name + " printed an unexpected line: " + out);
        return new SystemOwner(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), Path.of(f[5]));
    }
}
