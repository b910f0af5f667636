package dev.banger.daemon.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Boots one microVM exactly the way the daemon will launch QEMU, waits for a console marker and for QEMU
 * to exit by itself, and kills QEMU by its PID if it does not.
 */
final class TestGuest {
    record Result(String console, boolean exitedByItself, int exitCode, long markerMillis, long exitMillis) { }

    private TestGuest() { }

    static List<String> qemuArgs(Path dir, Path vmlinux, Path initrd, long tscKhz) {
        List<String> a = new ArrayList<>(List.of(
                "qemu-system-x86_64", "-M", "microvm", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "512",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", vmlinux.toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 panic=-1 quiet tsc_early_khz=" + tscKhz,
                "-serial", "file:" + dir.resolve("console.log"),
                "-drive", "id=root,file=" + dir.resolve("root.ext4") + ",format=raw,if=none",
                "-device", "virtio-blk-device,drive=root,serial=banger-root",
                "-drive", "id=work,file=" + dir.resolve("work.ext4") + ",format=raw,if=none",
                "-device", "virtio-blk-device,drive=work,serial=banger-work",
                "-netdev", "user,id=n0,net=172.30.0.0/24,host=172.30.0.1,dns=172.30.0.3",
                "-device", "virtio-net-device,netdev=n0",
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=" + dir.resolve("agent.sock") + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=org.banger.agent"));
        return a;
    }

    static Result boot(Path dir, Path vmlinux, Path initrd, String marker, Duration timeout) throws IOException, InterruptedException {
        Path console = dir.resolve("console.log");
        Process qemu = new ProcessBuilder(qemuArgs(dir, vmlinux, initrd, hostTscKhz()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.out").toFile())
                .start();
        long t0 = System.nanoTime();
        long markerAt = -1;
        try {
            long deadline = t0 + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (markerAt < 0 && Files.exists(console)
                        && Files.readString(console, StandardCharsets.ISO_8859_1).contains(marker)) {
                    markerAt = (System.nanoTime() - t0) / 1_000_000;
                }
                if (qemu.waitFor(20, TimeUnit.MILLISECONDS)) {
                    break;
                }
            }
            boolean exited = !qemu.isAlive();
            long exitAt = (System.nanoTime() - t0) / 1_000_000;
            String text = Files.exists(console) ? Files.readString(console, StandardCharsets.ISO_8859_1) : "";
            if (markerAt < 0 && text.contains(marker)) {
                markerAt = exitAt;
            }
            return new Result(text, exited, exited ? qemu.exitValue() : -1, markerAt, exitAt);
        } finally {
            if (qemu.isAlive()) {
                // Our own child, addressed by its PID handle: never by process name.
                qemu.toHandle().destroyForcibly();
                qemu.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** microvm has no HPET/PM timer to calibrate against, so the guest is told the TSC rate (HOST-NOTES). */
    static long hostTscKhz() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("cpu MHz")) {
                return Math.round(Double.parseDouble(line.substring(line.indexOf(':') + 1).strip()) * 1000);
            }
        }
        throw new IOException("no 'cpu MHz' in /proc/cpuinfo");
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
