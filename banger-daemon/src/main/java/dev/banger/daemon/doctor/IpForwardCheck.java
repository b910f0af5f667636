package dev.banger.daemon.doctor;

import java.nio.file.Path;

/** net.ipv4.ip_forward: bridged VMs reach beyond the host only when the host routes for them. */
final class IpForwardCheck implements Check {
    static final Path SYSCTL = Path.of("/proc/sys/net/ipv4/ip_forward");
    private final Networking net;

    IpForwardCheck(Networking net) {
        this.net = net;
    }

    @Override
    public String name() {
        return "ip_forward";
    }

    @Override
    public Finding run(HostProbe host) {
        String v = host.read(SYSCTL).map(String::strip).orElse("");
        String facts = "net.ipv4.ip_forward = " + (v.isEmpty() ? "(unreadable)" : v);
        if (v.equals("1")) return Finding.ok("on: bridged VMs can reach beyond the host", facts);
        String fix = "sudo sysctl -w net.ipv4.ip_forward=1  # persist it in /etc/sysctl.d/";
        if (net.bridged()) return Finding.fail("off: bridged VMs cannot reach beyond the host", facts, fix);
        return Finding.ok("off; not needed with " + net.name() + " (bridged networking would need it)", facts);
    }
}
