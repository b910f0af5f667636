package dev.banger.daemon.agent;

/**
 * Receives the output of one exec session, in order, on the session's own delivery thread
 * (never the connection's reader), so a slow listener delays only its own session. Past 4 MiB
 * of output it has not taken yet, the session is cut off: it ends with
 * {@code onError("exec output consumer too slow; ...")} and its process is killed.
 */
public interface ExecListener {
    void onStdout(byte[] data);

    void onStderr(byte[] data);

    void onExit(int code);

    /** EXEC_ERROR from the agent, "agent connection lost", or the slow-consumer cut-off. */
    void onError(String message);
}
