package dev.banger.daemon.vmm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * PIDs get recycled, so "process N is alive" is not "our VMM is alive". A VMM process is
 * ours when its command line names the VM's own control socket (the seeds' ProcessRunning(pid, apiSock)).
 */
public final class ProcessIdentity {
    private ProcessIdentity() { }

    public static boolean matches(long pid, String marker) {
        if (pid <= 0 || marker == null || marker.isEmpty()) return false;
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            String cmdline = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
            // A marker inside a QEMU option list appears with its commas doubled.
            return (cmdline.contains(marker) || cmdline.contains(qemuEscaped(marker))) && !isZombie(pid);
        } catch (IOException e) {
            return false;
        }
    }

    /** QEMU's escaping inside option lists: a literal comma is written twice. */
    static String qemuEscaped(String value) {
        return value.replace(",", ",,");
    }

    private static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return true;
        }
    }

    /** SIGTERM, wait up to {@code grace}, then SIGKILL and wait again. Returns true once the process is gone. */
    public static boolean terminate(long pid, String marker, Duration grace) throws InterruptedException {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !matches(pid, marker)) return true;
        handle.get().destroy();
        if (waitGone(pid, marker, grace)) return true;
        handle.get().destroyForcibly();
        return waitGone(pid, marker, Duration.ofSeconds(5));
    }

    /** SIGKILL at once (vm kill). */
    public static boolean kill(long pid, String marker) throws InterruptedException {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !matches(pid, marker)) return true;
        handle.get().destroyForcibly();
        return waitGone(pid, marker, Duration.ofSeconds(5));
    }

    public static boolean waitGone(long pid, String marker, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (matches(pid, marker)) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }
}
