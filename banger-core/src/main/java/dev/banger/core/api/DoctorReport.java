package dev.banger.core.api;

import java.util.List;

/** {@code doctor.run}: every check, in the order bangerd registers them, and how long they took. */
public record DoctorReport(List<DoctorCheckResult> checks, long elapsedMillis) {
    public DoctorReport {
        checks = List.copyOf(checks);
    }

    /** True when no check failed: what {@code banger doctor} exits 0 for. */
    public boolean passed() {
        return checks.stream().noneMatch(c -> c.status() == DoctorStatus.FAIL);
    }
}
