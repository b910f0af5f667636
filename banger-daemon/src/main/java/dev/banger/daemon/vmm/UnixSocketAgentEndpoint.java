package dev.banger.daemon.vmm;

import dev.banger.daemon.agent.AgentConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The agent behind a Unix socket the VMM listens on (QEMU's chardev {@code server=on}). */
public record UnixSocketAgentEndpoint(Path socket) implements AgentEndpoint {
    @Override
    public boolean present() {
        return Files.exists(socket);
    }

    @Override
    public AgentConnection connect(Duration timeout) throws IOException {
        return AgentConnection.connect(socket, timeout);
    }
}
