package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.daemon.fs.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Create-to-agent-ready ({@code banger vm create}, which returns once the agent answered) in bridged
 * mode against rootless mode, alternating rounds in one run. The bridged side is a banger home of
 * its own whose bangerd runs as root with no helper socket, so it does the helper's operations in
 * process (bridge, tap, the {@code <name>.vm} resolver), inside a network namespace this suite makes
 * and a private mount namespace with a copy of /etc over /etc (the resolver writes its hosts block
 * there). The machine's /etc/hosts and /etc/resolv.conf are checksummed before and after. The
 * rootless side is the bench home of the vm suite; the bridged home gets its kernel (hard links)
 * and a registered copy of its debian image. Needs root. Goal: bridged/rootless <= 1.05.
 */
final class BridgedBench {
    private static final List<Path> WATCHED = List.of(Path.of("/etc/hosts"), Path.of("/etc/resolv.conf"));

    private final Path root;
    private final Path benchHome;
    private final String netns;
    private final Path dir;
    private final Path home;
    private Process mountHolder;

    private BridgedBench(Path root, Path benchHome, String suffix) {
        this.root = root;
        this.benchHome = benchHome;
        this.netns = "banger-bench-" + suffix;
        // Next to the bench home, on the same file system, so the kernel can be hard-linked.
        this.dir = root.resolve("bench/results/bridged-" + suffix);
        this.home = dir.resolve("home");
    }

    static String run(Path root, Path benchHome, int rounds) throws Exception {
        Cmd.requireRoot("bridged");
        Map<Path, String> before = checksums();
        byte[] random = new byte[3];
        ThreadLocalRandom.current().nextBytes(random);
        BridgedBench bench = new BridgedBench(root, benchHome, HexFormat.of().formatHex(random));
        String report;
        List<String> cleanup = new ArrayList<>();
        try {
            bench.build();
            report = bench.measure(rounds);
        } finally {
            bench.close(cleanup);
            if (!checksums().equals(before)) cleanup.add("the machine's /etc changed: " + before + " -> " + checksums());
            if (!cleanup.isEmpty()) throw new IOException("bridged suite cleanup: " + String.join("; ", cleanup));
        }
        return report;
    }

    private void build() throws Exception {
        Files.createDirectories(home.resolve("state"));
        Cmd.run("ip", "netns", "add", netns);
        Cmd.run("ip", "-n", netns, "link", "set", "lo", "up");
        Path etc = dir.resolve("etc");
        Cmd.run("cp", "-a", "/etc", etc.toString());
        mountHolder = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "--", "sleep", "infinity")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // Wait until the holder is in its own namespace (unshare has exec'd sleep) before mounting in it.
        while (Files.readSymbolicLink(Path.of("/proc/" + mountHolder.pid() + "/ns/mnt"))
                .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")))) {
            if (System.nanoTime() > deadline) throw new IOException("the mount namespace holder did not start");
            Thread.sleep(20);
        }
        Cmd.run("nsenter", "-t", Long.toString(mountHolder.pid()), "-m", "--", "mount", "--bind", etc.toString(), "/etc");

        Cmd.run("cp", "-al", benchHome.resolve("state/kernels").toString(), home.resolve("state/kernels").toString());
        JsonNode image = Json.MAPPER.readTree(Bench.banger(Duration.ofMinutes(1), "image", "show", "debian", "--json"));
        Path rootfs = dir.resolve("rootfs.ext4");
        Cmd.run("cp", "--sparse=always", image.path("rootfs_path").asText(), rootfs.toString());
        bridged(Duration.ofMinutes(5), "image", "register", "debian", "--rootfs", rootfs.toString());
        Files.deleteIfExists(rootfs);
    }

    private String measure(int rounds) throws Exception {
        // Warm-up of both sides: the KVM probe, the bridge's creation, the page cache. Each warm-up VM
        // is checked to be what this suite claims to measure before it is removed.
        Bench.banger(Duration.ofMinutes(5), "vm", "create", "--name", "bench-warm");
        JsonNode rootlessVm = Json.MAPPER.readTree(Bench.banger(Duration.ofMinutes(1), "vm", "show", "bench-warm", "--json"));
        Bench.banger(Duration.ofMinutes(1), "vm", "rm", "--force", "bench-warm");
        bridged(Duration.ofMinutes(5), "vm", "create", "--name", "bench-warm");
        JsonNode bridgedVm = Json.MAPPER.readTree(bridged(Duration.ofMinutes(1), "vm", "show", "bench-warm", "--json"));
        String ports = Cmd.run("ip", "-n", netns, "-o", "link", "show", "master", "bgr0");
        if (!ports.contains("bt")) throw new IOException("the bridged VM has no tap on bgr0 in " + netns + ": " + bridgedVm);
        bridged(Duration.ofMinutes(1), "vm", "rm", "--force", "bench-warm");
        String accel = rootlessVm.path("runtime").path("accel").asText("?") + "/" + bridgedVm.path("runtime").path("accel").asText("?");
        List<Double> rootless = new ArrayList<>();
        List<Double> bridged = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            rootless.add(createAndRemove(false, "bench-" + i));
            bridged.add(createAndRemove(true, "bench-" + i));
        }
        double ratio = Bench.median(bridged) / Bench.median(rootless);
        return String.format(Locale.ROOT, """
                create, bridged mode   bridged median %.0f ms %s (in-process root operations, netns)
                                       rootless median %.0f ms %s
                                       ratio bridged/rootless %.2f (goal <= 1.05); accel rootless/bridged %s
                """, Bench.median(bridged), bridged, Bench.median(rootless), rootless, ratio, accel);
    }

    private double createAndRemove(boolean inBridged, String name) throws Exception {
        double ms;
        if (inBridged) {
            ms = Bench.timed(() -> bridged(Duration.ofMinutes(5), "vm", "create", "--name", name));
            bridged(Duration.ofMinutes(1), "vm", "rm", "--force", name);
        } else {
            ms = Bench.timed(() -> Bench.banger(Duration.ofMinutes(5), "vm", "create", "--name", name));
            Bench.banger(Duration.ofMinutes(1), "vm", "rm", "--force", name);
        }
        return ms;
    }

    /**
     * The CLI as root in the suite's mount and network namespaces, with the bridged home; the bangerd
     * it starts lives there too. The helper socket points at a path that does not exist, so bangerd
     * runs the operations in process even if this machine has a helper installed.
     */
    private String bridged(Duration timeout, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(mountHolder.pid()), "-m", "--",
                "ip", "netns", "exec", netns, "env", "BANGER_HOME=" + home, "BANGER_NETWORK=bridged",
                "BANGER_HELPER_SOCKET=" + dir.resolve("no-helper.sock"), root.resolve("bin/banger").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("bridged banger " + String.join(" ", args) + " failed");
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private void close(List<String> errors) {
        if (mountHolder != null) {
            HelperBench.step(errors, () -> bridged(Duration.ofMinutes(2), "daemon", "stop"));
            for (ProcessHandle p : processesOfHome()) HelperBench.step(errors, () -> Cmd.kill(p));
            HelperBench.step(errors, () -> Cmd.kill(mountHolder.toHandle()));
        }
        HelperBench.step(errors, () -> Cmd.run("ip", "netns", "del", netns));
        // Kept for reading where the bridged side's time went; the home itself goes.
        HelperBench.step(errors, () -> {
            Path log = home.resolve("state/bangerd.log");
            if (Files.exists(log)) Files.copy(log, root.resolve("bench/results/bridged-bangerd.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        });
        // The /etc bind mount exists only in the holder's namespace, gone with it: this removes plain files.
        HelperBench.step(errors, () -> Cmd.run("rm", "-rf", "--one-file-system", dir.toString()));
        HelperBench.step(errors, () -> {
            if (Cmd.run("ip", "netns", "list").contains(netns)) errors.add("namespace " + netns + " is left");
        });
        if (Files.exists(dir)) errors.add(dir + " is left");
        if (!processesOfHome().isEmpty()) errors.add("processes of " + home + " are left: " + processesOfHome());
    }

    /** bangerd and QEMU of the bridged home, found by the home in their environment or command line. */
    private List<ProcessHandle> processesOfHome() {
        String env = "BANGER_HOME=" + home;
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(ph -> ph.pid() != ProcessHandle.current().pid())
                    .filter(ph -> read("/proc/" + ph.pid() + "/environ").contains(env)
                            || read("/proc/" + ph.pid() + "/cmdline").contains(home + "/")).toList();
        }
    }

    private static String read(String file) {
        try {
            return new String(Files.readAllBytes(Path.of(file)), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    private static Map<Path, String> checksums() throws IOException {
        Map<Path, String> sums = new LinkedHashMap<>();
        for (Path p : WATCHED) sums.put(p, Files.exists(p) ? Sha256.of(p) : "absent");
        return sums;
    }
}
