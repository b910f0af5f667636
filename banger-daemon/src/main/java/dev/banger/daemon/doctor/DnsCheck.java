package dev.banger.daemon.doctor;

import java.nio.file.Path;

/**
 * How VM names would resolve on the host: systemd-resolved per link when it runs (its varlink
 * socket exists), else an /etc/hosts block. Guests themselves resolve through QEMU's DNS today.
 */
final class DnsCheck implements Check {
    static final Path RESOLVED = Path.of("/run/systemd/resolve/io.systemd.Resolve");

    @Override
    public String name() {
        return "dns";
    }

    @Override
    public Finding run(HostProbe host) {
        boolean resolved = host.exists(RESOLVED);
        String strategy = resolved ? "systemd-resolved per link (running)" : "an /etc/hosts block (systemd-resolved is not running)";
        return Finding.ok("<name>.vm on the host: " + strategy + "; guests resolve through QEMU's built-in DNS", RESOLVED + (resolved ? " present" : " missing"));
    }
}
