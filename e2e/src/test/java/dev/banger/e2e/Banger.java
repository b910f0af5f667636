package dev.banger.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Drives the real CLI (bin/banger) against one banger home, the way a user would. The home
 * lives under e2e/target so the kernel and image are built once per run and shared by every
 * end-to-end test; VMs, daemons and QEMU processes are removed after each test class.
 */
final class Banger {
    record Result(int exit, String stdout, String stderr) {
        JsonNode json() throws IOException {
            return Json.MAPPER.readTree(stdout);
        }
    }

    static final Path ROOT = Path.of(System.getProperty("banger.root", "..")).toAbsolutePath().normalize();
    static final Path HOME = ROOT.resolve("e2e/target/e2e-home");

    private Banger() { }

    static Result run(String... args) throws IOException, InterruptedException {
        return run(Map.of(), Duration.ofMinutes(15), args);
    }

    static Result run(Map<String, String> extraEnv, Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin/banger").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("BANGER_HOME", HOME.toString());
        pb.environment().putAll(extraEnv);
        Path out = Files.createTempFile("banger-e2e", ".out");
        Path err = Files.createTempFile("banger-e2e", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("banger " + String.join(" ", args) + " timed out; stderr: " + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs and requires exit 0, returning stdout. */
    static String ok(String... args) throws IOException, InterruptedException {
        Result r = run(args);
        if (r.exit() != 0) {
            throw new AssertionError("banger " + String.join(" ", args) + " exited " + r.exit() + ": " + r.stderr() + r.stdout());
        }
        return r.stdout();
    }

    static Path stateDir() {
        return HOME.resolve("state");
    }

    static Path runtimeDir() {
        return HOME.resolve("run");
    }

    /** PID of the bangerd serving HOME, from daemon status; -1 when none. */
    static long daemonPid() throws IOException, InterruptedException {
        Result r = run("daemon", "status", "--json");
        return r.exit() == 0 ? r.json().path("pid").asLong(-1) : -1;
    }

    /** Every live process whose command line mentions this banger home (bangerd, QEMU). */
    static List<ProcessHandle> processesOfHome() {
        String marker = HOME.toString();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(ph -> ph.pid() != ProcessHandle.current().pid())
                    .filter(ph -> cmdline(ph.pid()).contains(marker)).toList();
        }
    }

    /**
     * Running, not merely present: a killed QEMU stays a zombie until PID 1 reaps it (it is
     * daemonized, so bangerd is not its parent), and ProcessHandle.isAlive() counts zombies.
     */
    static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** Removes every VM, stops the daemon, and kills (by PID) anything of this home still alive. */
    static void cleanUp() throws IOException, InterruptedException {
        Result ls = run("vm", "ls", "--json");
        if (ls.exit() == 0) {
            for (JsonNode vm : ls.json()) run("vm", "rm", "--force", vm.path("id").asText());
        }
        run("daemon", "stop");
        for (ProcessHandle ph : processesOfHome()) {
            ph.destroyForcibly();
            try {
                ph.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IOException("process " + ph.pid() + " survived SIGKILL", e);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
