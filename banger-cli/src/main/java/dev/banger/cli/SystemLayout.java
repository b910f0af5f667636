package dev.banger.cli;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a system install puts things: the live paths (what the units name) and, under a staging
 * {@code --root}, where the files are written. Only files go under the root; the paths inside the
 * units are always the live ones, so a staging root shows exactly what a live install would write.
 */
record SystemLayout(Path root) {
    static final String BANGERD_UNIT = "bangerd.service";
    static final String HELPER_UNIT = "banger-roothelper.service";
    static final List<String> UNITS = List.of(HELPER_UNIT, BANGERD_UNIT);
    static final Path UNIT_DIR = Path.of("/etc/systemd/system");
    static final Path RECORD = Path.of("/etc/banger/install.json");
    static final Path HELPER_SOCKET = Path.of("/run/banger/helper.sock");
    static final Path HELPER_STATE = Path.of("/var/lib/banger-roothelper");
    static final Path HELPER_LOGS = Path.of("/var/log/banger");
    static final Path AUDIT_LOG = HELPER_LOGS.resolve("roothelper.audit");

    static SystemLayout live() {
        return new SystemLayout(Path.of("/"));
    }

    boolean staging() {
        return !root.equals(Path.of("/"));
    }

    /** A live absolute path as written under this root. */
    Path under(Path live) {
        return root.resolve(Path.of("/").relativize(live));
    }

    Path unit(String name) {
        return under(UNIT_DIR.resolve(name));
    }

    Path record() {
        return under(RECORD);
    }

    Path socket() {
        return under(HELPER_SOCKET);
    }
}
