package dev.banger.daemon.vmm;

import java.io.IOException;

/** The VMM could not bind a forward's host port: something else holds it. */
public final class PortBusyException extends IOException {
    public PortBusyException(String message) {
        super(message);
    }
}
