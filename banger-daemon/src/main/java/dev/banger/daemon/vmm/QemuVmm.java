package dev.banger.daemon.vmm;

import dev.banger.core.model.PortForward;
import dev.banger.daemon.fs.PrivateFiles;
import dev.banger.daemon.host.HostCommand;
import dev.banger.daemon.host.HostTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QEMU driver: {@code -M microvm} with an uncompressed kernel, the banger initramfs, a qcow2
 * root overlay, the work disk, virtio-serial for the agent, user networking, and QMP.
 * QEMU daemonizes itself so it outlives bangerd; its PID comes from the pidfile. The serial
 * console is a socket that bangerd drains into a capped log ({@link ConsoleDrain}).
 *
 * <p>Its machine: {@code <runtime>/<id>.qmp} (control, and the marker on QEMU's command line),
 * {@code <runtime>/<id>.agent} (the agent's chardev), {@code <runtime>/<id>.console},
 * {@code <vmDir>/qemu.pid}, and {@code <vmDir>/root.qcow2} over the raw base image.
 */
public final class QemuVmm implements Vmm {
    private static final Logger LOG = LoggerFactory.getLogger(QemuVmm.class);
    /** Written by QEMU itself (-pidfile) once it has daemonized. */
    static final String PID_FILE = "qemu.pid";
    private static final String ROOT_DISK = "root.qcow2";
    private static final String ROOT_FORMAT = "qcow2";
    public static final long DEFAULT_CONSOLE_MAX_BYTES = 8L << 20;

    private final String qemuBinary;
    private final long tscKhz;
    private final long consoleMaxBytes;
    /** One drain per VM id; a new launch or reattach replaces (and stops) the previous one. */
    private final Map<String, ConsoleDrain> drains = new ConcurrentHashMap<>();

    public QemuVmm(String qemuBinary, long tscKhz) {
        this(qemuBinary, tscKhz, DEFAULT_CONSOLE_MAX_BYTES);
    }

    /** consoleMaxBytes: how much console output is kept per VM (console_log_max_mib). */
    public QemuVmm(String qemuBinary, long tscKhz, long consoleMaxBytes) {
        this.qemuBinary = qemuBinary;
        this.tscKhz = tscKhz;
        this.consoleMaxBytes = consoleMaxBytes;
    }

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public Machine machine(String vmId, Path vmDir, Path runtimeDir) {
        return new Machine(vmId, vmDir, runtimeDir.resolve(vmId + ".qmp"), runtimeDir.resolve(vmId + ".agent"));
    }

    @Override
    public Path rootDisk(Path vmDir) {
        return vmDir.resolve(ROOT_DISK);
    }

    /**
     * A qcow2 overlay over the read-only raw base: the base is shared by every VM of the image. Its
     * virtual size is the VM's root size; the space past the base reads as zeros and costs nothing
     * until the guest writes there.
     */
    @Override
    public void createRootDisk(Path baseImage, Path rootDisk, long sizeBytes) throws IOException, InterruptedException {
        HostCommand.of(List.of("qemu-img", "create", "-q", "-f", ROOT_FORMAT, "-b", baseImage.toString(), "-F", "raw",
                rootDisk.toString(), Long.toString(sizeBytes)), Duration.ofSeconds(30)).run();
    }

    /** qemu-img takes QEMU's write lock on the image, so it also refuses a disk some QEMU still has open. */
    @Override
    public void resizeRootDisk(Path rootDisk, long sizeBytes) throws IOException, InterruptedException {
        HostCommand.of(List.of("qemu-img", "resize", "-q", "-f", ROOT_FORMAT, rootDisk.toString(), Long.toString(sizeBytes)),
                Duration.ofSeconds(30)).run();
    }

    private static LaunchSpec.Sockets sockets(Machine m) {
        return new LaunchSpec.Sockets(m.controlSocket(), m.agentSocket());
    }

    private static Path pidFile(Machine m) {
        return m.vmDir().resolve(PID_FILE);
    }

    @Override
    public long launch(MachineSpec m) throws IOException {
        return launch(new LaunchSpec(m.machine().vmId(), m.kernel(), m.initrd(), m.rootDisk(), ROOT_FORMAT, m.workDisk(),
                sockets(m.machine()), m.consoleLog(), pidFile(m.machine()), m.vcpu(), m.memoryMib(), m.network(), m.accel()));
    }

    @Override
    public long recordedPid(Machine machine) {
        return readPid(pidFile(machine));
    }

    /** QMP, agent and console sockets and the pidfile; a socket the row does not name (null) is skipped. */
    @Override
    public List<Path> runtimeFiles(Machine machine) {
        List<Path> files = new ArrayList<>();
        if (machine.controlSocket() != null) files.add(machine.controlSocket());
        if (machine.agentSocket() != null) files.add(machine.agentSocket());
        if (machine.controlSocket() != null) files.add(sockets(machine).console());
        files.add(pidFile(machine));
        return files;
    }

    /**
     * A QEMU of ours names its QMP socket on its command line (commas doubled inside the option: both count).
     * With no socket on record there is no marker, and no PID counts as ours.
     */
    @Override
    public VmmProcess process(long pid, Machine machine) {
        return new VmmProcess(pid, machine.controlSocket() == null ? null : machine.controlSocket().toString());
    }

    @Override
    public List<VmmProcesses.Found> processesUnder(Path runtimeDir) {
        return new VmmProcesses().under(runtimeDir);
    }

    @Override
    public boolean requestPowerdown(Machine machine) {
        return requestPowerdown(sockets(machine));
    }

    @Override
    public AgentEndpoint agentEndpoint(Machine machine) {
        return new UnixSocketAgentEndpoint(machine.agentSocket());
    }

    @Override
    public void reattachConsole(Machine machine, Path consoleLog) {
        reattachConsole(machine.vmId(), sockets(machine), consoleLog);
    }

    List<String> commandLine(LaunchSpec s) {
        List<String> cmd = new ArrayList<>(List.of(qemuBinary,
                "-M", "microvm",
                "-accel", s.accel().wire()));
        if (s.accel() == Accel.KVM) cmd.addAll(List.of("-cpu", "host"));
        cmd.addAll(List.of(
                "-smp", Integer.toString(s.vcpu()),
                "-m", s.memoryMib() + "M",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-name", "banger-" + s.vmId(),
                "-kernel", s.kernel().toString(),
                "-initrd", s.initrd().toString(),
                // tsc_early_khz: without it microvm (no HPET/PM timer) hangs calibrating the TSC on a loaded host.
                "-append", "console=ttyS0 panic=-1 quiet reboot=t tsc_early_khz=" + tscKhz,
                // A socket, not a file: bangerd caps what it keeps; unconnected, QEMU drops output rather than block.
                "-chardev", "socket,id=console,path=" + optionValue(s.sockets().console()) + ",server=on,wait=off",
                "-serial", "chardev:console",
                "-drive", "id=root,file=" + optionValue(s.rootDisk()) + ",format=" + s.rootFormat() + ",if=none,discard=unmap",
                "-device", "virtio-blk-device,drive=root,serial=banger-root"));
        if (s.workDisk() != null) {
            cmd.addAll(List.of(
                    "-drive", "id=work,file=" + optionValue(s.workDisk()) + ",format=raw,if=none,discard=unmap",
                    "-device", "virtio-blk-device,drive=work,serial=banger-work"));
        }
        LaunchSpec.Network n = s.network();
        if (n != null && n.tap() != null) {
            // script=no: QEMU opens the existing tap (owned by this user) and configures nothing on the host.
            cmd.addAll(List.of("-netdev", "tap,id=net0,ifname=" + n.tap() + ",script=no,downscript=no",
                    "-device", "virtio-net-device,netdev=net0,mac=" + n.mac()));
        } else if (n != null) {
            String netdev = "user,id=net0,net=" + n.subnet() + ",host=" + n.gateway() + ",dns=" + n.dns()
                    + (n.sshPort() > 0 ? ",hostfwd=tcp:127.0.0.1:" + n.sshPort() + "-" + n.guestIp() + ":22" : "")
                    + n.forwards().stream().map(f -> ",hostfwd=" + hostfwd(f, n.guestIp())).collect(java.util.stream.Collectors.joining());
            cmd.addAll(List.of("-netdev", netdev, "-device", "virtio-net-device,netdev=net0"));
        }
        cmd.addAll(List.of(
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=" + optionValue(s.sockets().agent()) + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=org.banger.agent",
                "-qmp", "unix:" + optionValue(s.sockets().qmp()) + ",server=on,wait=off",
                "-pidfile", s.pidFile().toString(),
                "-daemonize"));
        return cmd;
    }

    /** QEMU's rule for a forward, {@code tcp:127.0.0.1:8080-172.30.0.10:80} (as -netdev's hostfwd and HMP's hostfwd_add take it). */
    static String hostfwd(PortForward f, String guestIp) {
        return hostSide(f) + "-" + guestIp + ":" + f.guestPort();
    }

    private static String hostSide(PortForward f) {
        return f.protocol().wire() + ":" + f.hostIp() + ":" + f.hostPort();
    }

    /**
     * QEMU 7.2's QMP has no forwarding command; its human monitor does, reached through QMP's
     * {@code human-monitor-command}. The monitor answers success with nothing and a failure with text.
     */
    @Override
    public void addPortForward(Machine machine, String guestIp, PortForward forward) throws IOException {
        String out = humanMonitor(machine, "hostfwd_add net0 " + hostfwd(forward, guestIp));
        if (out.toLowerCase(java.util.Locale.ROOT).contains("could not set up host forwarding rule")) {
            throw new PortBusyException("host port " + forward.hostSide() + " is in use");
        }
        if (!out.isEmpty()) throw new IOException("qemu hostfwd_add " + forward + ": " + out);
    }

    /** The monitor prints "host forwarding rule for ... removed" or "... not found". */
    @Override
    public void removePortForward(Machine machine, PortForward forward) throws IOException {
        String out = humanMonitor(machine, "hostfwd_remove net0 " + hostSide(forward));
        if (!out.endsWith("removed")) throw new IOException("qemu hostfwd_remove " + forward.hostSide() + ": " + out);
    }

    /**
     * QEMU's HMP {@code info usernet}: one line per slirp socket, {@code TCP[STATE]} first. A bridged
     * machine has no user network, and the monitor prints no socket lines for it: that is "cannot tell".
     */
    @Override
    public java.util.OptionalInt openConnections(Machine machine) throws IOException {
        String out = humanMonitor(machine, "info usernet");
        if (!out.contains("Protocol[State]")) return java.util.OptionalInt.empty();
        return java.util.OptionalInt.of(UsernetConnections.count(out));
    }

    private static String humanMonitor(Machine machine, String commandLine) throws IOException {
        try (Qmp qmp = Qmp.connect(machine.controlSocket())) {
            return qmp.execute("human-monitor-command", Map.of("command-line", commandLine)).asText("").strip();
        }
    }

    /**
     * A path inside a QEMU option list (-drive, -chardev, -qmp): QEMU splits those at commas and reads
     * a doubled comma as a literal one. Plain arguments (-kernel, -initrd, -pidfile) are taken as they are.
     */
    static String optionValue(Path path) {
        return ProcessIdentity.qemuEscaped(path.toString());
    }

    /** Boots exactly this launch spec (the driver's own form; tests use it directly). */
    public long launch(LaunchSpec spec) throws IOException {
        Files.deleteIfExists(spec.pidFile());
        // -daemonize sets QEMU's umask to 027, so what it creates would be group-readable. The console log
        // is made here, private (QEMU truncates it and keeps its mode); the sockets are fixed once it is up.
        if (!Files.exists(spec.consoleLog(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createFile(spec.consoleLog(), PosixFilePermissions.asFileAttribute(PrivateFiles.FILE));
        }
        Files.setPosixFilePermissions(spec.consoleLog(), PrivateFiles.FILE);
        Path errLog = spec.pidFile().resolveSibling("qemu-launch.err");
        List<String> cmd = commandLine(spec);
        // Found like every other host tool (PATH, then sbin), with the missing package named.
        cmd.set(0, HostTools.resolve(qemuBinary).toString());
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(errLog.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        try {
            // With -daemonize the foreground process exits once the VM is set up (or failed to be).
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("qemu did not daemonize within 60s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            // The grandchild may already exist; the caller's undo reads the pidfile to find it.
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting qemu", e);
        }
        String err = Files.exists(errLog) ? Files.readString(errLog, StandardCharsets.UTF_8).strip() : "";
        if (p.exitValue() != 0) {
            throw new IOException("qemu failed to start (exit " + p.exitValue() + ")" + (err.isEmpty() ? "" : ": " + err.lines().reduce((a, b) -> b).orElse("")));
        }
        Files.deleteIfExists(errLog);
        long pid = readPid(spec.pidFile());
        if (pid <= 0) throw new IOException("qemu started but wrote no pidfile at " + spec.pidFile());
        for (Path socket : List.of(spec.sockets().qmp(), spec.sockets().agent(), spec.sockets().console())) {
            if (Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.setPosixFilePermissions(socket, PrivateFiles.FILE);
        }
        attachConsole(spec.vmId(), spec.sockets(), spec.consoleLog(), true);
        return pid;
    }

    public void reattachConsole(String vmId, LaunchSpec.Sockets sockets, Path consoleLog) {
        try {
            attachConsole(vmId, sockets, consoleLog, false);
        } catch (IOException e) {
            LOG.warn("console of {} not reattached: {}", vmId, e.getMessage());
        }
    }

    private void attachConsole(String vmId, LaunchSpec.Sockets sockets, Path consoleLog, boolean fresh) throws IOException {
        drains.values().removeIf(d -> !d.running());   // VMs that are gone
        ConsoleDrain old = drains.remove(vmId);
        if (old != null) old.close();
        try {
            drains.put(vmId, ConsoleDrain.start(sockets.console(), consoleLog, consoleMaxBytes, fresh, vmId));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to the console of " + vmId, e);
        }
    }

    /** PID from a pidfile QEMU wrote, or 0 when there is none (used by undo after an interrupted launch). */
    public static long readPid(Path pidFile) {
        try {
            return Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    public boolean requestPowerdown(LaunchSpec.Sockets sockets) {
        try (Qmp qmp = Qmp.connect(sockets.qmp())) {
            qmp.execute("system_powerdown", Map.of());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Host TSC frequency in kHz for tsc_early_khz; /proc/cpuinfo's "cpu MHz" is what the guest would calibrate to. */
    public static long hostTscKhz() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("cpu MHz")) {
                    double mhz = Double.parseDouble(line.substring(line.indexOf(':') + 1).strip());
                    return Math.round(mhz * 1000);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to a common value; the guest still boots, only TSC calibration is skipped less precisely
        }
        return 2_000_000;
    }
}
