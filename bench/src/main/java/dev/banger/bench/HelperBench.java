package dev.banger.bench;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.host.HelperSocketOperations;
import dev.banger.roothelper.api.RootOperations;
import dev.banger.roothelper.api.TapDeleted;
import dev.banger.roothelper.api.TapInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Root helper latency: create_tap + delete_tap through the real helper process and its socket, one
 * connection per call as bangerd makes them ({@link HelperSocketOperations}), against the same
 * kernel work done directly with {@code ip} (tuntap add, alias + master + up, del), alternating
 * rounds. Everything lives in a network namespace this suite makes ({@code banger-bench-<r>}) and
 * is removed at the end, also after a failure. Needs root. Goal: banger p50 <= 10 ms.
 */
final class HelperBench {
    private static final String SUBNET = "10.77.0.0/24";
    private static final String BRIDGE = "bgr0";
    private static final String OWNER_UID = "65534";
    private static final int WARM_UP = 20;

    private HelperBench() { }

    static String run(Path root, int rounds) throws Exception {
        Cmd.requireRoot("helper");
        String netns = "banger-bench-" + HexFormat.of().formatHex(randomBytes(3));
        Path dir = Files.createTempDirectory("banger-bench-helper-");
        Process helper = null;
        List<String> cleanup = new ArrayList<>();
        try {
            Cmd.run("ip", "netns", "add", netns);
            Cmd.run("ip", "-n", netns, "link", "set", "lo", "up");
            Path socket = Files.createDirectories(dir.resolve("run")).resolve("helper.sock");
            // ip netns exec execs the JVM: the PID started is the helper's own.
            helper = new ProcessBuilder("ip", "netns", "exec", netns, Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", root.resolve("banger-roothelper/target/banger-roothelper.jar").toString(),
                    "--socket", socket.toString(), "--owner-uid", OWNER_UID, "--audit-log", dir.resolve("audit.log").toString(),
                    "--subnet", SUBNET, "--state-dir", dir.resolve("state").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("helper.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(socket)) {
                if (!helper.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the root helper did not start: " + Files.readString(dir.resolve("helper.log")));
                }
                Thread.sleep(20);
            }
            RootOperations ops = new HelperSocketOperations(socket);
            ops.ensureBridge();
            String nsPath = "/run/netns/" + netns;

            for (int i = 0; i < WARM_UP; i++) {
                bangerRound(ops);
                baselineRound(nsPath);
            }
            List<Double> banger = new ArrayList<>();
            List<Double> bangerCreate = new ArrayList<>();
            List<Double> bangerDelete = new ArrayList<>();
            List<Double> baseline = new ArrayList<>();
            List<Double> baselineCreate = new ArrayList<>();
            List<Double> baselineDelete = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                double[] b = bangerRound(ops);
                bangerCreate.add(b[0]);
                bangerDelete.add(b[1]);
                banger.add(b[0] + b[1]);
                double[] d = baselineRound(nsPath);
                baselineCreate.add(d[0]);
                baselineDelete.add(d[1]);
                baseline.add(d[0] + d[1]);
            }
            String ports = Cmd.run("ip", "-n", netns, "-o", "link", "show", "master", BRIDGE);
            if (!ports.isBlank()) throw new IOException("taps left on the bridge after the rounds: " + ports);
            double p50 = percentile(banger, 50);
            double base50 = percentile(baseline, 50);
            return String.format(Locale.ROOT, """
                    helper create+delete tap  %d rounds (after %d warm-up), one socket connection per call
                                           banger (helper) p50 %.1f ms, p99 %.1f ms (create p50 %.1f, delete p50 %.1f) (goal p50 <= 10 ms)
                                           ip directly     p50 %.1f ms, p99 %.1f ms (create p50 %.1f, delete p50 %.1f)
                                           ratio p50 banger/ip %.2f, p99 %.2f
                    """, rounds, WARM_UP, p50, percentile(banger, 99), percentile(bangerCreate, 50), percentile(bangerDelete, 50),
                    base50, percentile(baseline, 99), percentile(baselineCreate, 50), percentile(baselineDelete, 50), p50 / base50, percentile(banger, 99) / percentile(baseline, 99));
        } finally {
            if (helper != null) {
                Process h = helper;
                step(cleanup, () -> Cmd.kill(h.toHandle()));
            }
            step(cleanup, () -> Cmd.run("ip", "netns", "del", netns));
            step(cleanup, () -> FileTrees.deleteRecursively(dir));
            if (Cmd.run("ip", "netns", "list").contains(netns)) cleanup.add("namespace " + netns + " is left");
            if (Files.exists(dir)) cleanup.add(dir + " is left");
            if (!cleanup.isEmpty()) System.err.println("helper suite cleanup: " + String.join("; ", cleanup));
        }
    }

    /** One create_tap and one delete_tap for a fresh VM id; returns both times in ms. */
    private static double[] bangerRound(RootOperations ops) throws IOException {
        String vmId = HexFormat.of().formatHex(randomBytes(8));
        long t = System.nanoTime();
        TapInfo tap = ops.createTap(vmId);
        long created = System.nanoTime();
        TapDeleted deleted = ops.deleteTap(vmId);
        long end = System.nanoTime();
        if (!deleted.existed() || !deleted.name().equals(tap.name())) throw new IOException("delete_tap did not find " + tap.name());
        return new double[] {(created - t) / 1e6, (end - created) / 1e6};
    }

    /** The helper's kernel work for one tap, as the commands it runs, without the socket, checks and JVM; both times in ms. */
    private static double[] baselineRound(String nsPath) throws Exception {
        String vmId = HexFormat.of().formatHex(randomBytes(8));
        String name = "bt" + vmId.substring(0, 12);
        String net = "--net=" + nsPath;
        long t = System.nanoTime();
        Cmd.run("nsenter", net, "ip", "tuntap", "add", "dev", name, "mode", "tap", "user", OWNER_UID);
        Cmd.run("nsenter", net, "ip", "link", "set", "dev", name, "alias", "banger vm " + vmId, "master", BRIDGE, "up");
        long created = System.nanoTime();
        Cmd.run("nsenter", net, "ip", "link", "del", "dev", name);
        long end = System.nanoTime();
        return new double[] {(created - t) / 1e6, (end - created) / 1e6};
    }

    /** Nearest-rank percentile. */
    static double percentile(List<Double> xs, int p) {
        List<Double> s = xs.stream().sorted().toList();
        int rank = (int) Math.ceil(p / 100.0 * s.size());
        return s.get(Math.max(0, Math.min(s.size() - 1, rank - 1)));
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    interface Step {
        void run() throws Exception;
    }

    /** Runs one cleanup step; a failure is collected so the later steps still run. */
    static void step(List<String> errors, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            errors.add(String.valueOf(e.getMessage()));
        }
    }
}
