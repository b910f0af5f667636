package dev.banger.daemon.vmm;

import java.util.Locale;

/** How QEMU executes guest code. KVM when it really works; TCG (software) otherwise. */
public enum Accel {
    KVM, TCG;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
