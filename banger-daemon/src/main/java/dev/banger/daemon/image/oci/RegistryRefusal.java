package dev.banger.daemon.image.oci;

import java.io.IOException;

/**
 * A registry's answer the user can act on, kept apart from transport and content failures so the
 * RPC edge can say what to do: the repository or tag does not exist (404 on a manifest), or the
 * registry refused access (401/403, no or wrong credentials). The message is one line and names
 * the reference or the registry.
 */
public final class RegistryRefusal extends IOException {
    public enum Reason { NOT_FOUND, DENIED }

    private final Reason reason;
    private final String registry;

    RegistryRefusal(Reason reason, String registry, String message) {
        super(message);
        this.reason = reason;
        this.registry = registry;
    }

    public Reason reason() {
        return reason;
    }

    /** The registry's host[:port], as in the reference (registry-1.docker.io for Docker Hub). */
    public String registry() {
        return registry;
    }
}
