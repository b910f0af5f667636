package dev.banger.daemon.agent;

/**
 * Receives the output of one exec session. Called on the connection's reader thread,
 * so implementations must return quickly; a slow listener stalls every session of the VM.
 */
public interface ExecListener {
    void onStdout(byte[] data);

    void onStderr(byte[] data);

    void onExit(int code);

    /** EXEC_ERROR from the agent, or "agent connection lost". */
    void onError(String message);
}
