package dev.banger.daemon.vm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link VmStats} learns from inside the guest, parsed from the output of {@link #COMMAND}: one
 * fixed shell line (no caller input in it) so that a stats call costs one agent exec, not five.
 * Each section starts with a marker line; a section that printed nothing (a guest without eth0)
 * reads as zeros, while missing meminfo, uptime or df figures are an error: they always exist.
 */
record GuestFacts(long memTotalBytes, long memAvailableBytes, Disk root, Disk work, double uptimeSeconds, long rxBytes, long txBytes) {
    /** A filesystem's size and used bytes as df reports them (its 1-blocks and Used columns). */
    record Disk(long sizeBytes, long usedBytes) {
        static final Disk NONE = new Disk(0, 0);
    }

    private static final String MEMINFO = "@banger:meminfo";
    private static final String UPTIME = "@banger:uptime";
    private static final String DF = "@banger:df";
    private static final String NET = "@banger:net";

    // -P: one line per filesystem whatever the device name's length; -B1: bytes. The order of df's
    // lines is the order of its operands, so the second is the work disk's (when /root is one).
    static final List<String> COMMAND = List.of("/bin/sh", "-c",
            "echo " + MEMINFO + "; cat /proc/meminfo; echo " + UPTIME + "; cat /proc/uptime; echo " + DF
                    + "; df -P -B1 / /root; echo " + NET
                    + "; cat /sys/class/net/eth0/statistics/rx_bytes /sys/class/net/eth0/statistics/tx_bytes");

    static GuestFacts parse(String output) {
        Map<String, List<String>> sections = sections(output);
        Map<String, Long> mem = meminfo(sections.getOrDefault(MEMINFO, List.of()));
        Long total = mem.get("MemTotal");
        Long available = mem.get("MemAvailable");
        if (total == null || available == null) throw new IllegalArgumentException("no MemTotal/MemAvailable in the guest's /proc/meminfo");
        List<Disk> disks = df(sections.getOrDefault(DF, List.of()));
        if (disks.isEmpty()) throw new IllegalArgumentException("no df line for / in the guest");
        List<String> net = sections.getOrDefault(NET, List.of());
        return new GuestFacts(total, available, disks.get(0), disks.size() > 1 ? disks.get(1) : Disk.NONE,
                uptime(sections.getOrDefault(UPTIME, List.of())),
                net.size() > 0 ? number(net.get(0)) : 0, net.size() > 1 ? number(net.get(1)) : 0);
    }

    private static Map<String, List<String>> sections(String output) {
        Map<String, List<String>> out = new HashMap<>();
        List<String> current = null;
        for (String line : output.split("\n")) {
            String l = line.strip();
            if (l.startsWith("@banger:")) {
                current = new ArrayList<>();
                out.put(l, current);
            } else if (current != null && !l.isEmpty()) {
                current.add(l);
            }
        }
        return out;
    }

    /** /proc/meminfo: {@code MemTotal:  493096 kB}; kB there means KiB. */
    static Map<String, Long> meminfo(List<String> lines) {
        Map<String, Long> out = new HashMap<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon <= 0) continue;
            String[] value = line.substring(colon + 1).strip().split("\\s+");
            if (value.length == 0 || !value[0].matches("\\d+")) continue;
            long n = Long.parseLong(value[0]);
            out.put(line.substring(0, colon), value.length > 1 && value[1].equalsIgnoreCase("kB") ? n * 1024 : n);
        }
        return out;
    }

    /**
     * {@code df -P -B1 / /root}: a header, then {@code DEVICE SIZE USED AVAIL CAP% MOUNTPOINT} per operand.
     * The second line is the work disk only when it is mounted at /root (without one df names / again).
     */
    static List<Disk> df(List<String> lines) {
        List<Disk> disks = new ArrayList<>();
        List<String> mounts = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split("\\s+");
            if (f.length < 6 || !f[1].matches("\\d+") || !f[2].matches("\\d+")) continue;   // the header
            disks.add(new Disk(Long.parseLong(f[1]), Long.parseLong(f[2])));
            mounts.add(f[f.length - 1]);
        }
        if (disks.size() > 1 && !mounts.get(1).equals("/root")) return List.of(disks.get(0));
        return disks;
    }

    /** /proc/uptime: {@code 73.42 146.00}, seconds since boot and idle seconds. */
    static double uptime(List<String> lines) {
        if (lines.isEmpty()) throw new IllegalArgumentException("no /proc/uptime from the guest");
        try {
            return Double.parseDouble(lines.getFirst().split("\\s+")[0]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unreadable /proc/uptime from the guest: " + lines.getFirst());
        }
    }

    private static long number(String line) {
        return Optional.of(line.strip()).filter(s -> s.matches("\\d+")).map(Long::parseLong).orElse(0L);
    }
}
