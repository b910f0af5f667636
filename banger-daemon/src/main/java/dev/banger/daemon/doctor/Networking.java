package dev.banger.daemon.doctor;

/**
 * Which networking VMs get, which decides what the host-side network checks mean: with rootless
 * networking (QEMU user networking, today's only mode) ip_forward and the FORWARD chain do not
 * touch VM traffic; with the root helper (a bridge, taps, NAT) they do.
 */
record Networking(boolean bridged) {
    static final Networking ROOTLESS = new Networking(false);

    String name() {
        return bridged ? "bridged networking (root helper)" : "rootless networking";
    }
}
