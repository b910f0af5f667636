package dev.banger.roothelper.api;

/**
 * After a {@code set_dns_records}: how many records are served, where ({@code 10.77.0.1:53}, or empty
 * when the bridge is not up yet), and how the host resolves {@code .vm} names:
 * {@code systemd-resolved} (per-link DNS on the bridge) or {@code /etc/hosts} (a marked block).
 */
public record DnsInfo(int records, String serving, String hostWiring) { }
