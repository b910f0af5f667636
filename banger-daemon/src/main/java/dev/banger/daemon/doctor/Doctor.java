package dev.banger.daemon.doctor;

import dev.banger.core.api.DoctorCheckResult;
import dev.banger.core.api.DoctorReport;
import dev.banger.core.api.DoctorStatus;
import dev.banger.core.rpc.RpcException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs checks and reports them in registration order. They run in parallel (each on a virtual
 * thread): most of doctor's time is waiting on small commands (nft, ip, qemu --version), and the
 * whole report must come back within about 3 s.
 */
public final class Doctor {
    private final List<Check> checks;
    private final HostProbe host;

    Doctor(List<Check> checks, HostProbe host) {
        this.checks = List.copyOf(checks);
        this.host = host;
    }

    /** bangerd's doctor over the real host (docs/doctor.md lists what each check looks at). */
    public static Doctor standard(Checks.Deps deps) {
        return new Doctor(Checks.all(deps), new SystemProbe());
    }

    /** Only the checks whose failure makes a create impossible (vm create's preflight). */
    public static Doctor preflight(Checks.Deps deps) {
        return new Doctor(Checks.all(deps).stream().filter(Check::blocksCreate).toList(), new SystemProbe());
    }

    public DoctorReport run() throws InterruptedException {
        long start = System.nanoTime();
        List<DoctorCheckResult> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Finding>> running = checks.stream().map(c -> pool.submit(() -> c.run(host))).toList();
            for (int i = 0; i < checks.size(); i++) results.add(result(checks.get(i), running.get(i)));
        }
        return new DoctorReport(results, (System.nanoTime() - start) / 1_000_000);
    }

    /** A check that throws is a bug in the check, not a fact about the host: reported as its own failure, the others still count. */
    private static DoctorCheckResult result(Check check, Future<Finding> f) throws InterruptedException {
        try {
            Finding r = f.get();
            return new DoctorCheckResult(check.name(), r.status(), r.summary(), r.detail(), r.fix());
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            return new DoctorCheckResult(check.name(), DoctorStatus.FAIL, "the check itself failed: " + cause, null, null);
        }
    }

    /**
     * Throws when a check failed: the message names the check and its fix (what {@code vm create}
     * shows instead of a raw tool error later in the start).
     */
    public void requireNoFailure() throws InterruptedException {
        for (DoctorCheckResult r : run().checks()) {
            if (r.status() == DoctorStatus.FAIL) {
                throw RpcException.failed("cannot create a VM: doctor check " + r.name() + " failed: " + r.summary()
                        + (r.fix() == null ? "" : " (fix: " + r.fix() + ")") + "; run banger doctor for details", null);
            }
        }
    }
}
