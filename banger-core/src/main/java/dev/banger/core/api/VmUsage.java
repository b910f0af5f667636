package dev.banger.core.api;

/**
 * One running VM's use of what it was given, an element of the {@code vm.stats} result. {@code cpuPercent}
 * is the VMM process's CPU time over a ~500 ms window as a percentage of one host CPU (so up to
 * {@code 100 * vcpus}); memory is the guest's MemTotal and MemTotal - MemAvailable; the disks are the
 * guest's {@code df} of {@code /} and {@code /root} (the work disk); uptime is the guest's; rx/tx are the
 * guest's eth0 counters (0 when it has none).
 */
public record VmUsage(String name, int vcpus, double cpuPercent, long memoryUsedBytes, long memoryTotalBytes,
                      long rootUsedBytes, long rootSizeBytes, long workUsedBytes, long workSizeBytes,
                      double uptimeSeconds, long rxBytes, long txBytes) { }
