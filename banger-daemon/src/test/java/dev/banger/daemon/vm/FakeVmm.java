package dev.banger.daemon.vm;

import dev.banger.daemon.vmm.AgentEndpoint;
import dev.banger.daemon.vmm.Machine;
import dev.banger.daemon.vmm.MachineSpec;
import dev.banger.daemon.vmm.UnixSocketAgentEndpoint;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcess;
import dev.banger.daemon.vmm.VmmProcesses;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A VMM driver with no VMM, for unit tests of vm/: the "VMM" is a shell loop whose command line
 * carries the control socket path (so process identity works as with QEMU), and the "guest agent"
 * is a thread on the agent socket that answers HELLO_REQ with HELLO and SHUTDOWN with SHUTDOWN_ACK
 * (then powers the "guest" off by ending the loop). It never runs the real agent: as root, that
 * would power off the host. Its layout differs from QEMU's on purpose ({@code .ctl}, {@code fake.pid},
 * a raw copy as root disk): vm/ must take every name from the driver. {@link #close} ends everything.
 */
final class FakeVmm implements Vmm, AutoCloseable {
    static final String PID_FILE = "fake.pid";
    private static final byte HELLO_REQ = 0x01;
    private static final byte SHUTDOWN = 0x20;
    private static final byte HELLO = (byte) 0x81;
    private static final byte SHUTDOWN_ACK = (byte) 0xA0;
    private static final byte EXEC = 0x10;
    private static final byte STARTED = (byte) 0x90;
    private static final byte EXIT = (byte) 0x93;

    final List<MachineSpec> launches = new CopyOnWriteArrayList<>();
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final List<ServerSocketChannel> agents = new CopyOnWriteArrayList<>();
    /** Tests: the next launch fails after the process started and recorded itself (as a half-way QEMU can). */
    volatile boolean failNextLaunchAfterStart;
    /** Tests: a frozen guest answers HELLO but ignores SHUTDOWN and ACPI, so only a kill ends it. */
    volatile boolean frozen;
    /**
     * Tests: every EXEC is answered with STARTED, then with EXIT 0 once this latch opens (a command
     * that runs as long as the test wants). It prints nothing.
     */
    volatile java.util.concurrent.CountDownLatch execsExit = new java.util.concurrent.CountDownLatch(0);

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public Machine machine(String vmId, Path vmDir, Path runtimeDir) {
        return new Machine(vmId, vmDir, runtimeDir.resolve(vmId + ".ctl"), runtimeDir.resolve(vmId + ".agent"));
    }

    @Override
    public Path rootDisk(Path vmDir) {
        return vmDir.resolve("root.raw");
    }

    /** A raw copy, then made sizeBytes long (sparse), so its file size is what the guest would see. */
    @Override
    public void createRootDisk(Path baseImage, Path rootDisk, long sizeBytes) throws IOException {
        Files.copy(baseImage, rootDisk);
        try (var raf = new java.io.RandomAccessFile(rootDisk.toFile(), "rw")) {
            raf.setLength(Math.max(sizeBytes, raf.length()));
        }
    }

    @Override
    public void resizeRootDisk(Path rootDisk, long sizeBytes) throws IOException {
        try (var raf = new java.io.RandomAccessFile(rootDisk.toFile(), "rw")) {
            if (sizeBytes < raf.length()) throw new IOException("FakeVmm: asked to shrink " + rootDisk);
            raf.setLength(sizeBytes);
        }
    }

    @Override
    public long launch(MachineSpec spec) throws IOException {
        launches.add(spec);
        Machine m = spec.machine();
        ServerSocketChannel agent = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        agent.bind(UnixDomainSocketAddress.of(m.agentSocket()));
        agents.add(agent);
        Process vmm = new ProcessBuilder("sh", "-c", "while :; do sleep 0.1; done", m.controlSocket().toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(vmm);
        vmm.onExit().thenRun(() -> closeQuietly(agent));
        Thread.ofVirtual().start(() -> serveAgent(agent, vmm));
        Files.writeString(m.vmDir().resolve(PID_FILE), Long.toString(vmm.pid()));
        if (failNextLaunchAfterStart) {
            failNextLaunchAfterStart = false;
            throw new IOException("fake vmm failed half-way");
        }
        return vmm.pid();
    }

    @Override
    public long recordedPid(Machine machine) {
        try {
            return Long.parseLong(Files.readString(machine.vmDir().resolve(PID_FILE)).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public List<Path> runtimeFiles(Machine machine) {
        return Stream.of(machine.controlSocket(), machine.agentSocket(), machine.vmDir().resolve(PID_FILE))
                .filter(Objects::nonNull).toList();
    }

    @Override
    public VmmProcess process(long pid, Machine machine) {
        return new VmmProcess(pid, machine.controlSocket() == null ? null : machine.controlSocket().toString());
    }

    @Override
    public List<VmmProcesses.Found> processesUnder(Path runtimeDir) {
        List<VmmProcesses.Found> found = new ArrayList<>();
        for (Process p : processes) {
            String marker = p.info().arguments().map(a -> a[a.length - 1]).orElse("");
            if (!p.isAlive() || !marker.startsWith(runtimeDir + "/")) continue;
            String file = Path.of(marker).getFileName().toString();
            found.add(new VmmProcesses.Found(p.pid(), file.substring(0, file.indexOf('.')), marker));
        }
        return found;
    }

    /** ACPI: the fake guest powers off at once. */
    /** Live forward changes, as "add RULE" / "rm HOST_SIDE", in order. */
    final List<String> forwardCalls = new CopyOnWriteArrayList<>();
    /** Host sides a live add refuses as busy. */
    final java.util.Set<String> busyHostSides = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public void addPortForward(Machine machine, String guestIp, dev.banger.core.model.PortForward forward) throws IOException {
        if (busyHostSides.contains(forward.hostSide())) throw new dev.banger.daemon.vmm.PortBusyException("host port " + forward.hostSide() + " is in use");
        forwardCalls.add("add " + forward + " to " + guestIp);
    }

    @Override
    public void removePortForward(Machine machine, dev.banger.core.model.PortForward forward) {
        forwardCalls.add("rm " + forward.hostSide());
    }

    @Override
    public boolean requestPowerdown(Machine machine) {
        if (frozen) return true;
        processes.stream().filter(p -> process(p.pid(), machine).alive()).forEach(Process::destroy);
        return true;
    }

    @Override
    public AgentEndpoint agentEndpoint(Machine machine) {
        return new UnixSocketAgentEndpoint(machine.agentSocket());
    }

    /**
     * Live fake VMM processes (tests: nothing may be left running). A killed one that the JDK has not
     * reaped yet is a zombie for a moment and {@code isAlive()} still says true: it counts as gone, as
     * it does for the daemon's own process identity.
     */
    long running() {
        return processes.stream().filter(p -> p.isAlive() && !exited(p.pid())).count();
    }

    private static boolean exited(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) == 'Z';
        } catch (IOException gone) {
            return true;
        }
    }

    private void serveAgent(ServerSocketChannel server, Process vmm) {
        while (server.isOpen()) {
            try {
                SocketChannel conn = server.accept();
                Thread.ofVirtual().start(() -> answer(conn, vmm));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void answer(SocketChannel conn, Process vmm) {
        try (conn) {
            while (true) {
                ByteBuffer header = ByteBuffer.allocate(9);
                readFully(conn, header);
                int length = header.flip().getInt();
                byte type = header.get();
                int channel = header.getInt();
                readFully(conn, ByteBuffer.allocate(length - 5));
                if (type == HELLO_REQ) {
                    send(conn, HELLO, channel, "{\"agent_version\":\"fake\",\"kernel\":\"none\",\"uptime_ms\":1,\"hostname\":\"fake\"}");
                } else if (type == EXEC) {
                    java.util.concurrent.CountDownLatch exits = execsExit;
                    send(conn, STARTED, channel, ByteBuffer.allocate(4).putInt(4242).array());
                    Thread.ofVirtual().start(() -> {
                        try {
                            exits.await();
                            send(conn, EXIT, channel, ByteBuffer.allocate(4).putInt(0).array());
                        } catch (IOException | InterruptedException gone) {
                            // the connection or the test ended first
                        }
                    });
                } else if (type == SHUTDOWN && !frozen) {
                    send(conn, SHUTDOWN_ACK, channel, "");
                    vmm.destroy();
                }
            }
        } catch (IOException gone) {
            // bangerd closed the connection, or the fake VMM ended
        }
    }

    private static void readFully(SocketChannel conn, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (conn.read(b) < 0) throw new EOFException();
        }
    }

    private static void send(SocketChannel conn, byte type, int channel, String payload) throws IOException {
        send(conn, type, channel, payload.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(SocketChannel conn, byte type, int channel, byte[] p) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(9 + p.length).putInt(5 + p.length).put(type).putInt(channel).put(p).flip();
        synchronized (conn) {   // EXIT comes from an exec's own thread
            while (b.hasRemaining()) conn.write(b);
        }
    }

    private static void closeQuietly(ServerSocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing a listener we own
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        agents.forEach(FakeVmm::closeQuietly);
    }
}
