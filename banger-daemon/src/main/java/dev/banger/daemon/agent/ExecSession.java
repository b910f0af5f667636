package dev.banger.daemon.agent;

/** A command running in the guest, addressed by its channel on one {@link AgentConnection}. */
public interface ExecSession {
    void writeStdin(byte[] data) throws java.io.IOException;

    void closeStdin() throws java.io.IOException;

    void resize(int rows, int cols) throws java.io.IOException;

    void signal(int signo) throws java.io.IOException;

    /** Blocks until EXIT (returns the code) or error (throws AgentException with the message). */
    int awaitExit() throws InterruptedException, AgentException;
}
