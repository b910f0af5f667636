package dev.banger.daemon.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Can this user make images: the ext4 tools every pull, import and build needs (sbin ones included:
 * banger finds them off an ordinary user's PATH), and for Debian builds mmdebstrap in unshare mode
 * (the same facts image/build/MmdebstrapMode decides from: uidmap, a subordinate id range of at
 * least 65536, user namespaces allowed, setfacl), or root.
 */
final class ImageBuildCheck implements Check {
    /** Every image (pull, import, build) is written with these. */
    static final Map<String, String> EXT4_TOOLS = Map.of("mkfs.ext4", "e2fsprogs", "debugfs", "e2fsprogs", "e2fsck", "e2fsprogs",
            "resize2fs", "e2fsprogs");
    /** A Debian build (mmdebstrap --mode=unshare) needs these besides. */
    static final Map<String, String> BUILD_TOOLS = orderedBuildTools();
    static final long MIN_SUBORDINATE_IDS = 65536;

    private static Map<String, String> orderedBuildTools() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("mmdebstrap", "mmdebstrap");
        m.put("newuidmap", "uidmap");
        m.put("newgidmap", "uidmap");
        m.put("setfacl", "acl");
        return m;
    }

    @Override
    public String name() {
        return "image_builds";
    }

    @Override
    public Finding run(HostProbe host) {
        Set<String> packages = new LinkedHashSet<>();
        List<String> facts = new ArrayList<>();
        for (String tool : new java.util.TreeSet<>(EXT4_TOOLS.keySet())) {
            Optional<Path> p = host.tool(tool);
            facts.add(tool + " " + p.map(Path::toString).orElse("missing"));
            if (p.isEmpty()) packages.add(EXT4_TOOLS.get(tool));
        }
        if (!packages.isEmpty()) {
            return Finding.fail("missing " + String.join(", ", packages) + ": no image can be pulled, imported or built",
                    String.join("; ", facts), "sudo apt-get install " + String.join(" ", packages));
        }
        Set<String> buildPackages = new LinkedHashSet<>();
        for (var e : BUILD_TOOLS.entrySet()) {
            Optional<Path> p = host.tool(e.getKey());
            facts.add(e.getKey() + " " + p.map(Path::toString).orElse("missing"));
            if (p.isEmpty()) buildPackages.add(e.getValue());
        }
        List<String> problems = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        if (!buildPackages.isEmpty()) {
            problems.add("missing " + String.join(", ", buildPackages));
            fixes.add("sudo apt-get install " + String.join(" ", buildPackages));
        }
        String user = host.user();
        String ranges = "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + user;
        for (String kind : List.of("uid", "gid")) {
            long count = subordinateCount(host.read(Path.of("/etc/sub" + kind)).orElse(""), user, host.uid());
            facts.add("/etc/sub" + kind + ": " + (count < 0 ? "no range for " + user : count + " ids"));
            if (count < MIN_SUBORDINATE_IDS) {
                problems.add(count < 0 ? "no subordinate " + kind + " range" : "subordinate " + kind + " range below " + MIN_SUBORDINATE_IDS);
                if (!fixes.contains(ranges)) fixes.add(ranges);
            }
        }
        if ("0".equals(sysctl(host, "kernel/unprivileged_userns_clone"))) {
            problems.add("user namespaces are off for ordinary users");
            fixes.add("sudo sysctl -w kernel.unprivileged_userns_clone=1");
        }
        if ("0".equals(sysctl(host, "user/max_user_namespaces"))) {
            problems.add("user namespaces are disabled");
            fixes.add("sudo sysctl -w user.max_user_namespaces=15000");
        }
        if ("1".equals(sysctl(host, "kernel/apparmor_restrict_unprivileged_userns"))) {
            problems.add("AppArmor restricts unprivileged user namespaces");
            fixes.add("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
        }
        String detail = String.join("; ", facts);
        if (problems.isEmpty()) return Finding.ok("Debian images build as " + user + " (mmdebstrap --mode=unshare)", detail);
        boolean mmdebstrap = !buildPackages.contains("mmdebstrap");
        if (host.uid() == 0 && mmdebstrap) {
            return Finding.ok("Debian images build in mmdebstrap root mode (running as root; unshare mode would lack: "
                    + String.join(", ", problems) + ")", detail);
        }
        return Finding.warn("Debian images cannot be built as " + user + ": " + String.join(", ", problems)
                + " (pulled and imported images still work)", detail, String.join("; ", fixes));
    }

    private static String sysctl(HostProbe host, String name) {
        return host.read(Path.of("/proc/sys", name)).map(String::strip).orElse(null);
    }

    /** The id count of the user's first range (by name or uid) in an /etc/subuid-style file; -1 when none (as newuidmap reads it). */
    static long subordinateCount(String file, String user, long uid) {
        for (String line : file.lines().toList()) {
            String[] f = line.strip().split(":");
            if (f.length != 3 || !(f[0].equals(user) || f[0].equals(Long.toString(uid)))) continue;
            try {
                Long.parseLong(f[1]);
                return Long.parseLong(f[2]);
            } catch (NumberFormatException malformed) {
                // newuidmap skips it too
            }
        }
        return -1;
    }
}
