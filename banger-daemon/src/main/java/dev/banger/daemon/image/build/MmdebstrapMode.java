package dev.banger.daemon.image.build;

import dev.banger.daemon.host.HostTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which mmdebstrap --mode we can use. unshare is the goal: it builds as an ordinary user inside a
 * user namespace and produces a tar with real root ownership. It needs newuidmap/newgidmap (the
 * uidmap package), a subordinate id range for the user, user namespaces the kernel lets an
 * ordinary user create, and setfacl (package acl) to let the namespace's root into its scratch
 * directory ({@link UnshareScratch}). Without those, root mode is the only mode that yields a
 * correct tree (fakechroot breaks on maintainer scripts that exec static binaries, and is not
 * installed here); it is only ever chosen when we already are root, and its output still goes
 * through {@link TarToExt4}, so nothing is ever mounted.
 *
 * <p>The decision is made from {@link Host} facts alone, before anything is downloaded, so a host
 * where unshare mode cannot work fails at once in one line that says why and what to do.
 */
enum MmdebstrapMode {
    UNSHARE("unshare"), ROOT("root");

    /** dpkg chowns to ids up to 65534 (nobody); a smaller range fails halfway through the build. */
    static final long MIN_SUBORDINATE_IDS = 65536;

    final String arg;

    MmdebstrapMode(String arg) {
        this.arg = arg;
    }

    /** The mode, and for unshare the host uid the namespace's root runs as (the start of the user's subuid range). */
    record Plan(MmdebstrapMode mode, long namespaceRootUid) { }

    /**
     * What the decision depends on. Sysctl values are the files' contents, or null when the file
     * does not exist (kernel.unprivileged_userns_clone is a Debian patch; the apparmor knob is Ubuntu's).
     */
    record Host(long uid, String user, List<String> subuid, List<String> subgid,
                String unprivilegedUsernsClone, String maxUserNamespaces, String apparmorRestrictUserns,
                boolean newuidmap, boolean newgidmap, boolean setfacl) {

        static Host current() throws IOException {
            return new Host((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"), System.getProperty("user.name"),
                    lines(Path.of("/etc/subuid")), lines(Path.of("/etc/subgid")),
                    sysctl("kernel/unprivileged_userns_clone"), sysctl("user/max_user_namespaces"),
                    sysctl("kernel/apparmor_restrict_unprivileged_userns"),
                    HostTools.isPresent("newuidmap"), HostTools.isPresent("newgidmap"), HostTools.isPresent("setfacl"));
        }

        private static List<String> lines(Path file) throws IOException {
            return Files.isReadable(file) ? Files.readAllLines(file) : List.of();
        }

        private static String sysctl(String name) throws IOException {
            Path p = Path.of("/proc/sys", name);
            return Files.isReadable(p) ? Files.readString(p).strip() : null;
        }
    }

    static Plan detect() throws IOException {
        return decide(Host.current());
    }

    static Plan decide(Host h) throws IOException {
        List<String> problems = new ArrayList<>();
        if (!h.newuidmap() || !h.newgidmap()) {
            problems.add("newuidmap/newgidmap not found (install the Debian package uidmap)");
        }
        Optional<long[]> subuid = range(h.subuid(), h.user(), h.uid());
        Optional<long[]> subgid = range(h.subgid(), h.user(), h.uid());
        String addRanges = "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + h.user();
        if (subuid.isEmpty() || subgid.isEmpty()) {
            problems.add(h.user() + " has no subordinate " + (subuid.isEmpty() ? "uid" : "gid") + " range in /etc/sub"
                    + (subuid.isEmpty() ? "uid" : "gid") + " (add one: " + addRanges + ")");
        } else if (subuid.get()[1] < MIN_SUBORDINATE_IDS || subgid.get()[1] < MIN_SUBORDINATE_IDS) {
            problems.add(h.user() + "'s subordinate id ranges have fewer than " + MIN_SUBORDINATE_IDS
                    + " ids (give it a full range: " + addRanges + ")");
        }
        if ("0".equals(h.unprivilegedUsernsClone())) {
            problems.add("user namespaces are disabled for ordinary users (kernel.unprivileged_userns_clone = 0;"
                    + " enable: sudo sysctl -w kernel.unprivileged_userns_clone=1)");
        }
        if ("0".equals(h.maxUserNamespaces())) {
            problems.add("user namespaces are disabled (user.max_user_namespaces = 0;"
                    + " enable: sudo sysctl -w user.max_user_namespaces=15000)");
        }
        if ("1".equals(h.apparmorRestrictUserns())) {
            problems.add("AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1;"
                    + " allow mmdebstrap in an AppArmor profile, or: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)");
        }
        if (!h.setfacl()) {
            problems.add("setfacl not found (install the Debian package acl)");
        }
        if (problems.isEmpty()) {
            return new Plan(UNSHARE, subuid.orElseThrow()[0]);
        }
        if (h.uid() == 0) {
            return new Plan(ROOT, 0);
        }
        throw new IOException("cannot build a Debian image as " + h.user() + " (mmdebstrap --mode=unshare): "
                + String.join("; ", problems));
    }

    /** The first range of user (by name or uid) in an /etc/subuid-style file: {start, count}, like newuidmap reads it. */
    static Optional<long[]> range(List<String> lines, String user, long uid) {
        for (String line : lines) {
            String[] f = line.strip().split(":");
            if (f.length != 3 || !(f[0].equals(user) || f[0].equals(Long.toString(uid)))) continue;
            try {
                return Optional.of(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
            } catch (NumberFormatException malformed) {
                // newuidmap skips it too
            }
        }
        return Optional.empty();
    }
}
