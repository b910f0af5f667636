package dev.banger.daemon.doctor;

/**
 * One doctor check: a stable name and what it finds on this host. A check reads the host only
 * through the {@link HostProbe} it is given. To add one: a class implementing this, and one line in
 * {@link Checks#all}.
 */
interface Check {
    String name();

    Finding run(HostProbe host);

    /**
     * True for the checks whose failure makes {@code vm create} impossible: the create's preflight
     * runs exactly these and refuses with the check's name and fix instead of a raw tool error.
     */
    default boolean blocksCreate() {
        return false;
    }
}
