package dev.banger.daemon.agent;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real agent binary in --connect-unix mode against a socket this test owns.
 * close() kills the agent and everything it started (by PID) and removes the temp dir.
 */
public final class AgentProcess implements AutoCloseable {
    private final Path dir;
    private final ServerSocketChannel server;
    private Process process;
    private SocketChannel socket;
    // children of an agent we killed ourselves: no longer its descendants once it is gone
    private final List<ProcessHandle> orphans = new java.util.concurrent.CopyOnWriteArrayList<>();

    private AgentProcess(Path dir, ServerSocketChannel server) {
        this.dir = dir;
        this.server = server;
    }

    /** The agent built by guest-agent/'s Makefile (also booted in real guests by the boot tests). */
    public static Path binary() {
        Path bin = Path.of("..", "guest-agent", "build", "banger-agent").toAbsolutePath().normalize();
        if (!Files.isExecutable(bin)) {
            throw new AssertionError("guest agent binary not found at " + bin
                    + "; build it with `make -C guest-agent all` (needs musl-tools)");
        }
        return bin;
    }

    static AgentProcess start() throws Exception {
        Path bin = binary();
        Path dir = Files.createTempDirectory("banger-agent-test");
        ServerSocketChannel server = null;
        AgentProcess p = null;
        try {
            Path sock = dir.resolve("agent.sock");
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(sock));
            p = new AgentProcess(dir, server);
            p.process = new ProcessBuilder(List.of(bin.toString(), "--connect-unix", sock.toString()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            ServerSocketChannel s = server;
            CompletableFuture<SocketChannel> accepted = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    accepted.complete(s.accept());
                } catch (IOException e) {
                    accepted.completeExceptionally(e);
                }
            });
            p.socket = accepted.get(10, TimeUnit.SECONDS);
            return p;
        } catch (Exception | AssertionError e) {
            if (p != null) {
                p.close();
            } else {
                if (server != null) {
                    server.close();
                }
                dev.banger.daemon.fs.FileTrees.deleteRecursively(dir);
            }
            throw e;
        }
    }

    SocketChannel socket() {
        return socket;
    }

    Process process() {
        return process;
    }

    /** SIGKILLs the agent (its commands would be orphaned, so remember them for close()). */
    void killAgent() throws InterruptedException {
        orphans.addAll(process.descendants().toList());
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    AgentConnection connection() {
        return AgentConnection.over(socket);
    }

    @Override
    public void close() throws IOException {
        try {
            if (process != null) {
                orphans.forEach(ProcessHandle::destroyForcibly);
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                if (socket != null) {
                    socket.close();
                }
                server.close();
            } finally {
                dev.banger.daemon.fs.FileTrees.deleteRecursively(dir);
            }
        }
    }

}
