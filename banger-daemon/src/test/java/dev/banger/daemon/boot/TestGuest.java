package dev.banger.daemon.boot;

import dev.banger.daemon.vmm.Accel;
import dev.banger.daemon.vmm.ConsoleLog;
import dev.banger.daemon.vmm.LaunchSpec;
import dev.banger.daemon.vmm.ProcessIdentity;
import dev.banger.daemon.vmm.QemuVmm;
import dev.banger.daemon.vmm.VmmProcesses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One microVM booted through the daemon's own driver, {@link QemuVmm#launch}: the command line users
 * get (daemonized QEMU, pidfile, QMP, the serial console drained into {@code console.log}, the agent on
 * a Unix socket), under TCG. This is the only place the boot tests build a {@link LaunchSpec}.
 *
 * <p>{@link #close} kills QEMU by its PID (from the launch, else its pidfile, and any process whose command
 * line names this guest's QMP socket; only while it names that socket, so a recycled PID is left alone)
 * and removes its sockets and pidfile, also when the launch or the test failed.
 */
final class TestGuest implements AutoCloseable {
    /** The kernel's last console line when the guest powered itself off (a panic or a reset ends QEMU too, under -no-reboot). */
    static final String POWER_DOWN = "reboot: Power down";
    static final String GUEST_IP = "172.30.0.15";
    private static final String VM_ID = "00000000000000b0";

    record Result(String console, boolean exitedByItself, long markerMillis, long exitMillis) { }

    private final LaunchSpec spec;
    private final long launchedAt = System.nanoTime();
    private long pid;

    private TestGuest(LaunchSpec spec) {
        this.spec = spec;
    }

    /** Launches QEMU the way the start pipeline's vmm_launch step does; the sockets, pidfile and console.log go into dir. */
    static TestGuest launch(Path dir, Path vmlinux, Path initrd, Path rootDisk, String rootFormat, Path workDisk) throws IOException {
        Path d = dir.toRealPath();  // the drain's open console.log is recognised by its real path
        LaunchSpec spec = new LaunchSpec(VM_ID, vmlinux, initrd, rootDisk, rootFormat, workDisk,
                new LaunchSpec.Sockets(d.resolve(VM_ID + ".qmp"), d.resolve(VM_ID + ".agent")),
                d.resolve("console.log"), d.resolve("qemu.pid"), 1, 512,
                new LaunchSpec.Network("172.30.0.0/24", "172.30.0.1", "172.30.0.3", GUEST_IP, 24, 0), Accel.TCG);
        TestGuest guest = new TestGuest(spec);
        try {
            guest.pid = new QemuVmm("qemu-system-x86_64", QemuVmm.hostTscKhz()).launch(spec);
        } catch (IOException | RuntimeException e) {
            guest.pid = QemuVmm.readPid(spec.pidFile());  // a half-done launch may have left a QEMU behind
            try {
                guest.close();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return guest;
    }

    /** Launches, waits for marker on the console and for QEMU to end by itself, then cleans up. */
    static Result boot(Path dir, Path vmlinux, Path initrd, Path rootDisk, String rootFormat, Path workDisk, String marker,
            Duration timeout) throws IOException, InterruptedException {
        try (TestGuest guest = launch(dir, vmlinux, initrd, rootDisk, rootFormat, workDisk)) {
            long deadline = System.nanoTime() + timeout.toNanos();
            long markerAt = guest.awaitConsole(marker, timeout);
            boolean exited = guest.awaitExit(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            return new Result(guest.console(), exited, markerAt, guest.millis());
        }
    }

    Path agentSocket() {
        return spec.sockets().agent();
    }

    long pid() {
        return pid;
    }

    /** Milliseconds since the launch began. */
    long millis() {
        return (System.nanoTime() - launchedAt) / 1_000_000;
    }

    /** What the driver's drain has copied into console.log so far. */
    String console() throws IOException {
        return ConsoleLog.tail(spec.consoleLog(), 4 << 20);
    }

    /** Milliseconds since the launch when text first appeared on the console, or -1 if it did not before the timeout or the end of the console. */
    long awaitConsole(String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean ended = !alive() && consoleDrained();  // read before the console, so nothing is missed
            if (console().contains(text)) return millis();
            if (ended || System.nanoTime() > deadline) return -1;
            Thread.sleep(20);
        }
    }

    /** True when QEMU ended within timeout; then the drain has also copied the console's last bytes. */
    boolean awaitExit(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!ProcessIdentity.waitGone(pid, qmpMarker(), timeout)) return false;
        while (!consoleDrained()) {
            if (System.nanoTime() > deadline + TimeUnit.SECONDS.toNanos(5)) throw new IOException("console of a gone QEMU never drained");
            Thread.sleep(10);
        }
        return true;
    }

    private boolean alive() {
        return ProcessIdentity.matches(pid, qmpMarker());
    }

    private String qmpMarker() {
        return spec.sockets().qmp().toString();
    }

    /**
     * QemuVmm's ConsoleDrain keeps console.log open until QEMU closes the console socket and everything
     * sent before is copied; so once no descriptor of this JVM names the file, the console is complete.
     */
    private boolean consoleDrained() throws IOException {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).equals(spec.consoleLog())) return false;
                } catch (IOException closedMeanwhile) {
                    // the descriptor went away while we listed them
                }
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        List<Exception> errors = new ArrayList<>();
        Set<Long> pids = new LinkedHashSet<>();
        long launched = pid > 0 ? pid : QemuVmm.readPid(spec.pidFile());
        if (launched > 0) pids.add(launched);
        // Also any QEMU that names this guest's QMP socket, should the driver have lost track of it (no pidfile).
        new VmmProcesses().under(spec.sockets().qmp().getParent()).forEach(found -> pids.add(found.pid()));
        for (long target : pids) {
            try {
                if (!ProcessIdentity.kill(target, qmpMarker())) errors.add(new IOException("qemu pid " + target + " did not exit"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                errors.add(e);
            }
        }
        for (Path p : List.of(spec.sockets().qmp(), spec.sockets().agent(), spec.sockets().console(), spec.pidFile())) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                errors.add(e);
            }
        }
        if (!errors.isEmpty()) {
            IOException joined = new IOException("cleaning up the test guest: " + errors.getFirst().getMessage(), errors.getFirst());
            errors.stream().skip(1).forEach(joined::addSuppressed);
            throw joined;
        }
    }

    static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
        } finally {
            if (p.isAlive()) {
                p.toHandle().destroyForcibly();
            }
        }
    }

    static String output(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            return out;
        } finally {
            if (p.isAlive()) {
                p.toHandle().destroyForcibly();
            }
        }
    }
}
