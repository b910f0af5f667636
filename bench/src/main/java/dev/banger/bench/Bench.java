package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.daemon.agent.AgentConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Two measurements, each against a baseline taken in the same run (these machines are noisy,
 * so only ratios mean anything):
 *
 * 1. create-to-agent-ready: wall time of `banger vm create` (CLI start, RPC, overlay, work
 *    disk, initrd, QEMU launch, agent hello) against a plain qemu-system-x86_64 launch of the
 *    same kernel, initrd and root with the same devices, timed to the same agent hello.
 *    Rounds alternate banger and baseline so load drifts hit both. Goal: ratio <= 1.10.
 * 2. `banger vm ls` wall time with 50 VMs recorded, against `banger --version` (JVM start
 *    and CLI parsing, no RPC). Goal: median <= 250 ms here.
 * 3. kernel pull throughput ({@link PullBench}) and OCI image pull to ext4 ({@link OciBench}).
 * 4. root helper create+delete tap latency ({@link HelperBench}) and create-to-agent-ready in
 *    bridged mode against rootless mode ({@link BridgedBench}); both need root.
 */
public final class Bench {
    private static final Path ROOT = Path.of(System.getProperty("banger.root", ".")).toAbsolutePath().normalize();
    private static final Path HOME = ROOT.resolve("bench/results/home");

    private Bench() { }

    /**
     * Usage: [ROUNDS] [SUITE…] with suites vm (create and ls), pull (kernel pull), oci (OCI pull to ext4),
     * helper (root helper tap latency), bridged (create in bridged against rootless mode), cp (vm cp against scp),
     * layers (a million-file OCI layer in bangerd's heap against tar + mkfs.ext4 -d); default: vm pull oci.
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        java.util.Set<String> suites = args.length > 1
                ? java.util.Set.of(java.util.Arrays.copyOfRange(args, 1, args.length)) : java.util.Set.of("vm", "pull", "oci");
        // vm and bridged need the debian image, pull the kernel it brings; oci and helper need neither (nor bangerd).
        boolean daemon = suites.contains("vm") || suites.contains("pull") || suites.contains("bridged") || suites.contains("cp");
        if (daemon) {
            Files.createDirectories(HOME);
            cleanVms();
            System.out.println("preparing kernel and default image (first run builds them)…");
            banger(Duration.ofMinutes(20), "image", "ls");
            JsonNode images = Json.MAPPER.readTree(banger(Duration.ofMinutes(1), "image", "ls", "--json"));
            if (!images.toString().contains("\"debian\"")) banger(Duration.ofMinutes(20), "image", "build", "debian");
        }
        StringBuilder report = new StringBuilder(String.format(Locale.ROOT, "banger benchmark, %s, %d rounds, host %s%n",
                Instant.now(), rounds, hostLine()));
        try {
            if (suites.contains("vm")) report.append(vmSuite(rounds));
            if (suites.contains("pull")) {
                report.append(PullBench.run(HOME.resolve("state/kernels/debian-cloud"), ROOT.resolve("bench/results/pull-work"), rounds));
            }
            if (suites.contains("oci")) report.append(OciBench.run(ROOT.resolve("bench/results/oci-work"), rounds));
            if (suites.contains("helper")) report.append(HelperBench.run(ROOT, rounds));
            if (suites.contains("bridged")) report.append(BridgedBench.run(ROOT, HOME, rounds));
            if (suites.contains("cp")) report.append(CpBench.run(HOME, ROOT.resolve("bench/results/cp-work"), rounds));
            if (suites.contains("layers")) report.append(LayersBench.run(ROOT.resolve("bench/results/layers-work"), rounds));
        } finally {
            // Also after a failed suite: the bench home's bangerd is not left running.
            if (daemon) banger(Duration.ofMinutes(1), "daemon", "stop");
        }
        System.out.print(report);
        Path out = Files.createDirectories(ROOT.resolve("bench/results")).resolve("latest.txt");
        Files.writeString(out, report);
        System.out.println("written to " + out);
    }

    private static String vmSuite(int rounds) throws Exception {
        // Warm-up create: pays the one-time KVM probe and fills the page cache for both sides.
        banger(Duration.ofMinutes(5), "vm", "create", "--name", "bench-warm");
        JsonNode warm = Json.MAPPER.readTree(banger(Duration.ofMinutes(1), "vm", "show", "bench-warm", "--json"));
        banger(Duration.ofMinutes(1), "vm", "rm", "--force", "bench-warm");

        List<Double> bangerMs = new ArrayList<>();
        List<Double> qemuMs = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            bangerMs.add(timeBangerCreate("bench-" + i));
            qemuMs.add(timePlainQemu(warm, i));
        }
        cleanVms();

        for (int i = 0; i < 50; i++) banger(Duration.ofMinutes(1), "vm", "create", "--no-start", "--name", "ls-" + i);
        List<Double> lsMs = new ArrayList<>();
        List<Double> versionMs = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            versionMs.add(timed(() -> banger(Duration.ofMinutes(1), "--version")));
            lsMs.add(timed(() -> banger(Duration.ofMinutes(1), "vm", "ls")));
        }
        cleanVms();
        return String.format(Locale.ROOT, """
                create-to-agent-ready  banger median %.0f ms %s
                                       plain qemu median %.0f ms %s
                                       ratio banger/qemu %.2f (goal <= 1.10)
                vm ls with 50 VMs      median %.0f ms %s (goal <= 250 ms)
                                       banger --version median %.0f ms; ratio ls/version %.2f
                """, median(bangerMs), bangerMs, median(qemuMs), qemuMs,
                median(bangerMs) / median(qemuMs), median(lsMs), lsMs, median(versionMs), median(lsMs) / median(versionMs));
    }

    private static double timeBangerCreate(String name) throws Exception {
        double ms = timed(() -> banger(Duration.ofMinutes(5), "vm", "create", "--name", name));
        banger(Duration.ofMinutes(1), "vm", "rm", "--force", name);
        return ms;
    }

    /**
     * The same boot banger does, by hand: same kernel, the same per-VM initrd (agent and
     * config inside), a qcow2 overlay on the same base, a fresh work disk, the same devices.
     * Disk preparation is done before the clock starts: this is the VMM's floor.
     */
    private static double timePlainQemu(JsonNode reference, int round) throws Exception {
        Path dir = Files.createTempDirectory(HOME, "plain-qemu");
        Path agentSock = dir.resolve("agent.sock");
        Path overlay = dir.resolve("root.qcow2");
        Path work = dir.resolve("work.ext4");
        Path initrd = dir.resolve("vm-initrd.img");
        JsonNode rt = reference.path("runtime");
        JsonNode image = Json.MAPPER.readTree(banger(Duration.ofMinutes(1), "image", "show", "debian", "--json"));
        JsonNode kernel = Json.MAPPER.readTree(banger(Duration.ofMinutes(1), "kernel", "show", image.path("kernel_ref").asText(), "--json"));
        run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", image.path("rootfs_path").asText(), "-F", "raw", overlay.toString()));
        run(List.of("truncate", "-s", "2G", work.toString()));
        run(List.of("mkfs.ext4", "-q", "-F", "-b", "4096", work.toString()));
        // The same initrd banger builds: the kernel's base initramfs plus the per-VM layer (agent + config).
        buildInitrd(Path.of(kernel.path("initrd").asText()), reference, initrd);
        String accel = rt.path("accel").asText("tcg");
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-M", "microvm", "-accel", accel));
        if (accel.equals("kvm")) cmd.addAll(List.of("-cpu", "host"));
        cmd.addAll(List.of("-smp", "1", "-m", "512M", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", kernel.path("vmlinux").asText(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 panic=-1 quiet reboot=t tsc_early_khz=" + dev.banger.daemon.vmm.QemuVmm.hostTscKhz(),
                "-chardev", "file,id=console,path=" + dir.resolve("console.log"), "-serial", "chardev:console",
                "-drive", "id=root,file=" + overlay + ",format=qcow2,if=none,discard=unmap",
                "-device", "virtio-blk-device,drive=root,serial=banger-root",
                "-drive", "id=work,file=" + work + ",format=raw,if=none,discard=unmap",
                "-device", "virtio-blk-device,drive=work,serial=banger-work",
                "-netdev", "user,id=net0,net=172.30.0.0/24,host=172.30.0.1,dns=172.30.0.3",
                "-device", "virtio-net-device,netdev=net0",
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=" + agentSock + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=org.banger.agent"));
        long start = System.nanoTime();
        Process qemu = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile()).start();
        try {
            while (!Files.exists(agentSock)) Thread.sleep(5);
            try (AgentConnection conn = AgentConnection.connect(agentSock, Duration.ofSeconds(10))) {
                conn.awaitHello(Duration.ofMinutes(3));
            }
            return (System.nanoTime() - start) / 1e6;
        } finally {
            qemu.destroyForcibly();
            qemu.waitFor(10, TimeUnit.SECONDS);
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    /** Rebuilds the per-VM layer the way bangerd does, for the reference VM's name and address. */
    private static void buildInitrd(Path baseInitrd, JsonNode reference, Path out) throws IOException {
        var config = new dev.banger.daemon.boot.GuestBootConfig("bench-plain", reference.path("runtime").path("guest_ip").asText(),
                24, "172.30.0.1", "172.30.0.3", "/root", true);
        new dev.banger.daemon.boot.VmInitrd(ROOT.resolve("guest-agent/build/banger-agent")).build(baseInitrd, config, out);
    }

    private static void cleanVms() throws Exception {
        JsonNode vms = Json.MAPPER.readTree(banger(Duration.ofMinutes(1), "vm", "ls", "--json"));
        for (JsonNode vm : vms) banger(Duration.ofMinutes(1), "vm", "rm", "--force", vm.path("id").asText());
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    static double timed(Work w) throws Exception {
        long t = System.nanoTime();
        w.run();
        return (System.nanoTime() - t) / 1e6;
    }

    static String banger(Duration timeout, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin/banger").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        pb.environment().put("BANGER_HOME", HOME.toString());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("banger " + String.join(" ", args) + " failed");
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed");
    }

    static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    private static String hostLine() {
        return Runtime.getRuntime().availableProcessors() + " cpus";
    }
}
