package dev.banger.daemon.doctor;

import dev.banger.daemon.vmm.Accel;
import dev.banger.daemon.vmm.AccelSelector;
import java.nio.file.Path;
import java.util.Optional;

/**
 * KVM or TCG, and why. /dev/kvm opening is not enough (PVM hosts open it and hang a stock kernel
 * after "Probing EDD"), so the verdict is {@link AccelSelector}'s: its probe boot of the default
 * kernel, cached per kernel in the state dir, so only the first doctor on a host pays for it.
 */
final class AcceleratorCheck implements Check {
    /** AccelSelector's decision for the default kernel; empty when no kernel is installed yet (nothing to probe with). */
    @FunctionalInterface
    interface Verdict {
        Optional<AccelSelector.Decision> decide() throws Exception;
    }

    static final Path KVM = Path.of("/dev/kvm");
    /** Measured here (docs/doctor.md): launch to the root file system's first line, microvm + vmlinux. */
    static final String TCG_BOOT = "expect about 2 s from launch to the guest's root file system (TCG, more on a loaded host)";
    static final String KVM_BOOT = "expect well under a second from launch to the guest's root file system (KVM)";

    private final String mode;
    private final Verdict verdict;

    AcceleratorCheck(String mode, Verdict verdict) {
        this.mode = mode;
        this.verdict = verdict;
    }

    @Override
    public String name() {
        return "accelerator";
    }

    @Override
    public Finding run(HostProbe host) throws RuntimeException {
        boolean present = host.exists(KVM);
        boolean usable = present && host.opensReadWrite(KVM);
        boolean pvm = host.exists(Path.of("/sys/module/kvm_pvm"));
        String facts = "/dev/kvm " + (!present ? "missing" : usable ? "present, opens read-write as " + host.user()
                : "present, not usable by " + host.user()) + (pvm ? "; kvm_pvm loaded (PVM host: only PVM-built guest kernels run under KVM)" : "")
                + "; accel = " + mode + " in config";
        if (mode.equals("tcg")) return Finding.ok("TCG, forced by configuration (accel = tcg); " + TCG_BOOT, facts);
        if (!present) {
            return notKvm("no /dev/kvm: TCG will be used; " + TCG_BOOT, facts,
                    "enable hardware virtualisation (or nested virtualisation for a cloud VM), then: sudo modprobe kvm_intel  # or kvm_amd");
        }
        if (!usable) {
            return notKvm("/dev/kvm is not usable by " + host.user() + ": TCG will be used; " + TCG_BOOT, facts,
                    "sudo usermod -aG kvm " + host.user() + "  # then log in again and restart bangerd");
        }
        if (mode.equals("kvm")) return Finding.ok("KVM, forced by configuration (accel = kvm); " + KVM_BOOT, facts);
        Optional<AccelSelector.Decision> decided;
        try {
            decided = verdict.decide();
        } catch (Exception e) {
            return Finding.warn("the KVM probe boot could not run: " + e.getMessage(), facts, null);
        }
        if (decided.isEmpty()) {
            return Finding.ok("/dev/kvm opens; the first VM start probes whether KVM boots the kernel (no kernel installed yet)", facts);
        }
        AccelSelector.Decision d = decided.get();
        String why = facts + "; probe: " + d.reason();
        if (d.accel() == Accel.KVM) return Finding.ok("KVM: " + d.reason() + "; " + KVM_BOOT, why);
        return Finding.warn("TCG will be used: " + d.reason() + "; " + TCG_BOOT, why,
                pvm ? "set accel = \"tcg\" in config.toml to skip the probe (stock kernels cannot use KVM on a PVM host)" : null);
    }

    /** Without KVM banger still works (TCG); only a configuration that insists on KVM cannot start anything. */
    private Finding notKvm(String summary, String facts, String fix) {
        if (mode.equals("kvm")) return Finding.fail("accel = kvm is configured but " + summary.substring(0, summary.indexOf(':')), facts, fix);
        return Finding.warn(summary, facts, fix);
    }
}
