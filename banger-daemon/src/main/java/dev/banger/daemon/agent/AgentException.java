package dev.banger.daemon.agent;

/** An exec session failed on the agent side (EXEC_ERROR, malformed request, or lost connection). */
public final class AgentException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    public AgentException(String message) {
        super(message);
    }
}
