package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import java.util.ArrayList;
import java.util.List;

/** The registered {@link VmFeature}s, called as one: in order for the start, in reverse for cleanup. */
final class Features {
    private final List<VmFeature> registered;

    Features(List<VmFeature> registered) {
        this.registered = List.copyOf(registered);
    }

    /** The registered port-forward feature, whose relays carry a bridged VM's forwards; empty when none is registered. */
    java.util.Optional<PortForwards> portForwards() {
        return registered.stream().filter(f -> f instanceof PortForwards).map(f -> (PortForwards) f).findFirst();
    }

    /** Every feature's prepare, then every feature's contribute. */
    void prepareAndContribute(VmRecord vm, MachineDraft machine) throws Exception {
        for (VmFeature f : registered) f.prepare(vm);
        for (VmFeature f : registered) f.contribute(vm, machine);
    }

    void postStart(VmRecord vm) throws Exception {
        for (VmFeature f : registered) f.postStart(vm);
    }

    /** Every feature's cleanup, last registered first; none is skipped because another failed. */
    List<Exception> cleanup(VmRecord vm) {
        List<Exception> errors = new ArrayList<>();
        for (VmFeature f : registered.reversed()) {
            try {
                f.cleanup(vm);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                errors.add(e);
            } catch (Exception e) {
                errors.add(new Exception("feature " + f.name() + ": " + e.getMessage(), e));
            }
        }
        return errors;
    }

    /** Every feature's reconcile; a failing one is a line in the result, and the others still run. */
    List<String> reconcile(List<VmRecord> running) {
        List<String> lines = new ArrayList<>();
        for (VmFeature f : registered) {
            try {
                f.reconcile(running).forEach(line -> lines.add("feature " + f.name() + ": " + line));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                lines.add("feature " + f.name() + ": interrupted");
            } catch (Exception e) {
                lines.add("feature " + f.name() + ": " + e.getMessage());
            }
        }
        return lines;
    }
}
