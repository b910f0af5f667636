package dev.banger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code banger vm cp} of one large file into and out of a running guest (over the agent) against
 * {@code scp} over the same VM's SSH forward (127.0.0.1, rootless), alternating rounds in one run so load
 * drift hits both. The file is random bytes (no compression helps either side); its size is
 * {@code BANGER_BENCH_CP_MIB} (default 256 MiB: 1 GiB rounds take minutes under TCG). The copies are
 * checked by sha256 on the host once per direction and side. Goal (issue 12): throughput ratio >= 1.0.
 */
final class CpBench {
    private static final String VM = "bench-cp";

    private CpBench() { }

    static String run(Path home, Path work, int rounds) throws Exception {
        long mib = Long.parseLong(System.getenv().getOrDefault("BANGER_BENCH_CP_MIB", "256"));
        Files.createDirectories(work);
        Path src = work.resolve("payload.bin");
        String sha = writeRandom(src, mib << 20);
        Bench.banger(Duration.ofMinutes(5), "vm", "create", "--name", VM, "--disk-size", (2 * mib / 1024 + 2) + "G");
        try {
            JsonNode vm = Json.MAPPER.readTree(Bench.banger(Duration.ofMinutes(1), "vm", "show", VM, "--json"));
            int port = vm.path("runtime").path("ssh_port").asInt();
            Path key = home.resolve("state/ssh/id_ed25519");
            List<String> ssh = List.of("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                    "-o", "BatchMode=yes", "-i", key.toString());
            waitForSsh(ssh, port);
            List<Double> bangerIn = new ArrayList<>();
            List<Double> scpIn = new ArrayList<>();
            List<Double> bangerOut = new ArrayList<>();
            List<Double> scpOut = new ArrayList<>();
            for (int i = -1; i < rounds; i++) {   // round -1 warms both sides up and checks the content
                Path bOut = work.resolve("banger-out.bin");
                Path sOut = work.resolve("scp-out.bin");
                double bi = Bench.timed(() -> Bench.banger(Duration.ofMinutes(30), "vm", "cp", src.toString(), VM + ":/root/b.bin"));
                double si = Bench.timed(() -> Cmd.run(concat(List.of("scp", "-q", "-P", Integer.toString(port)), ssh,
                        List.of(src.toString(), "root@127.0.0.1:/root/s.bin"))));
                double bo = Bench.timed(() -> Bench.banger(Duration.ofMinutes(30), "vm", "cp", VM + ":/root/b.bin", bOut.toString()));
                double so = Bench.timed(() -> Cmd.run(concat(List.of("scp", "-q", "-P", Integer.toString(port)), ssh,
                        List.of("root@127.0.0.1:/root/s.bin", sOut.toString()))));
                if (i < 0) {
                    for (Path p : List.of(bOut, sOut)) {
                        if (!sha256(p).equals(sha)) throw new IOException(p + " differs from what was copied in");
                    }
                } else {
                    bangerIn.add(bi);
                    scpIn.add(si);
                    bangerOut.add(bo);
                    scpOut.add(so);
                }
                Files.deleteIfExists(bOut);
                Files.deleteIfExists(sOut);
                Bench.banger(Duration.ofMinutes(1), "vm", "exec", VM, "--", "rm", "-f", "/root/b.bin", "/root/s.bin");
            }
            return String.format(Locale.ROOT, """
                    vm cp, %d MiB file      in:  banger median %.0f ms (%.1f MiB/s) %s
                                                 scp    median %.0f ms (%.1f MiB/s) %s
                                                 throughput ratio banger/scp %.2f (goal >= 1.0)
                                            out: banger median %.0f ms (%.1f MiB/s) %s
                                                 scp    median %.0f ms (%.1f MiB/s) %s
                                                 throughput ratio banger/scp %.2f (goal >= 1.0)
                    """, mib,
                    Bench.median(bangerIn), mib / (Bench.median(bangerIn) / 1000), bangerIn,
                    Bench.median(scpIn), mib / (Bench.median(scpIn) / 1000), scpIn, Bench.median(scpIn) / Bench.median(bangerIn),
                    Bench.median(bangerOut), mib / (Bench.median(bangerOut) / 1000), bangerOut,
                    Bench.median(scpOut), mib / (Bench.median(scpOut) / 1000), scpOut, Bench.median(scpOut) / Bench.median(bangerOut));
        } finally {
            Bench.banger(Duration.ofMinutes(1), "vm", "rm", "--force", VM);
            try (var files = Files.list(work)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(work);
        }
    }

    /** sshd starts after the agent answers (ssh-keygen -A first): retry a null command for up to 3 minutes. */
    private static void waitForSsh(List<String> ssh, int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (true) {
            try {
                Cmd.run(concat(List.of("ssh", "-p", Integer.toString(port)), ssh, List.of("root@127.0.0.1", "true")));
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) throw new IOException("the VM's sshd did not answer within 3 minutes: " + e.getMessage());
                Thread.sleep(1000);
            }
        }
    }

    private static List<String> concat(List<String> a, List<String> b, List<String> c) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        out.addAll(c);
        return out;
    }

    private static String writeRandom(Path p, long bytes) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random r = new Random(42);
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(p)) {
            for (long left = bytes; left > 0; left -= buf.length) {
                r.nextBytes(buf);
                int n = (int) Math.min(buf.length, left);
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256(Path p) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
