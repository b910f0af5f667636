package dev.banger.daemon.vmm;

import dev.banger.daemon.agent.AgentConnection;
import java.io.IOException;
import java.time.Duration;

/**
 * How bangerd reaches one VM's guest agent: the transport is the driver's (QEMU: a virtio-serial
 * chardev's Unix socket, {@link UnixSocketAgentEndpoint}; Firecracker would use its hybrid vsock).
 */
public interface AgentEndpoint {
    /** False while the VMM has not created the endpoint yet, so a connect is not worth trying. */
    boolean present();

    /** Connects, retrying until the endpoint accepts or the timeout passes. */
    AgentConnection connect(Duration timeout) throws IOException;
}
