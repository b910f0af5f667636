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
 * Drives the real CLI (bin/banger) against one banger home, the way a user would. Each test class
 * gets a fresh home of its own ({@link #useFreshHome}, emptied first, so a run never depends on the
 * previous run's leftovers); only the read-only kernel and image come from the seed home, where
 * they are built once per checkout ({@link SharedImage}). VMs, daemons and QEMU processes are
 * removed after each test class.
 */
final class Banger {
    record Result(int exit, String stdout, String stderr) {
        JsonNode json() throws IOException {
            return Json.MAPPER.readTree(stdout);
        }
    }

    static final Path ROOT = Path.of(System.getProperty("banger.root", "..")).toAbsolutePath().normalize();
    /** Where the kernel and default image are built once per checkout; no test runs VMs here. */
    static final Path SEED_HOME = ROOT.resolve("e2e/target/e2e-seed");
    private static final Path CLASS_HOMES = ROOT.resolve("e2e/target/e2e-homes");
    private static volatile Path home = SEED_HOME;

    /** The banger home the current test class works in. */
    /**
     * banger ARGS on a 30x100 pseudo-terminal (util-linux {@code script}), with {@code redirect} (a shell
     * redirection of its stdout or stderr, {@code > FILE}, {@code 2> FILE}, or ""); what the terminal
     * received, stdout and stderr both. It must exit 0.
     */
    static String onATerminal(String redirect, String... args) throws Exception {
        Path transcript = Files.createTempFile("banger-tty", ".log");
        StringBuilder inner = new StringBuilder("stty rows 30 cols 100 && exec ").append(ROOT.resolve("bin/banger"));
        for (String a : args) inner.append(' ').append(a);
        inner.append(' ').append(redirect);
        ProcessBuilder pb = new ProcessBuilder(List.of("script", "-q", "-e", "-c", inner.toString(), transcript.toString()));
        pb.environment().put("BANGER_HOME", home().toString());
        pb.environment().put("TERM", "xterm");
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().remove("BANGER_PROGRESS");
        Process p = pb.redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS)) throw new AssertionError("banger " + String.join(" ", args) + " on a terminal did not end");
            if (p.exitValue() != 0) throw new AssertionError("banger " + String.join(" ", args) + " exited " + p.exitValue() + ":\n" + out);
            return out;
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Files.deleteIfExists(transcript);
        }
    }

    static Path home() {
        return home;
    }

    /**
     * Switches to a fresh, empty home for one test class. Whatever a previous run left there is
     * ended (processes, by PID) and deleted first.
     */
    static Path useFreshHome(String name) throws IOException, InterruptedException {
        home = CLASS_HOMES.resolve(name);
        killProcessesOfHome();
        deleteTree(home);
        Files.createDirectories(home);
        return home;
    }

    /** Runs {@code work} against another home, then switches back. */
    static void withHome(Path other, Work work) throws Exception {
        Path previous = home;
        home = other;
        try {
            work.run();
        } finally {
            home = previous;
        }
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    private Banger() { }

    static Result run(String... args) throws IOException, InterruptedException {
        return run(Map.of(), Duration.ofMinutes(15), args);
    }

    static Result run(Map<String, String> extraEnv, Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin/banger").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("BANGER_HOME", home.toString());
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
        return home.resolve("state");
    }

    static Path runtimeDir() {
        return home.resolve("run");
    }

    /** PID of the bangerd serving the current home, from daemon status; -1 when none. */
    static long daemonPid() throws IOException, InterruptedException {
        Result r = run("daemon", "status", "--json");
        return r.exit() == 0 ? r.json().path("pid").asLong(-1) : -1;
    }

    /**
     * Every live process of this banger home, found by what identifies it: bangerd and the CLI
     * processes a test starts carry {@code BANGER_HOME} in their environment (bangerd's command line
     * does not name the home), QEMU names the home's sockets on its command line (and inherits
     * bangerd's environment too).
     */
    static List<ProcessHandle> processesOfHome() {
        String marker = home + "/";
        String env = "BANGER_HOME=" + home;
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(ph -> ph.pid() != ProcessHandle.current().pid())
                    .filter(ph -> cmdline(ph.pid()).contains(marker) || environ(ph.pid()).contains(env)).toList();
        }
    }

    /** The process's environment, one {@code KEY=value} per element; empty when unreadable. */
    static List<String> environ(long pid) {
        try {
            String raw = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8);
            return List.of(raw.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** What a VM can leave on the host: files under vms/ and run/, store rows, processes of the home. */
    record Leftovers(java.util.Set<String> vmDirs, java.util.Set<String> runtimeEntries, java.util.Set<String> storeRows,
                     java.util.Set<Long> processes) {
        static final Leftovers NONE = new Leftovers(java.util.Set.of(), java.util.Set.of(), java.util.Set.of(), java.util.Set.of());

        /** Everything in {@code after} that was not in this snapshot. */
        Leftovers addedIn(Leftovers after) {
            return new Leftovers(minus(after.vmDirs, vmDirs), minus(after.runtimeEntries, runtimeEntries),
                    minus(after.storeRows, storeRows), minus(after.processes, processes));
        }

        private static <T> java.util.Set<T> minus(java.util.Set<T> a, java.util.Set<T> b) {
            java.util.Set<T> d = new java.util.TreeSet<>(a);
            d.removeAll(b);
            return d;
        }
    }

    /**
     * A snapshot of everything VMs leave behind. Processes are counted without the daemon itself (a
     * call may start one); store rows are read straight from SQLite, not through bangerd.
     */
    static Leftovers leftovers() throws IOException {
        long daemon = -1;
        try {
            daemon = daemonPid();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long self = daemon;
        java.util.Set<Long> procs = new java.util.TreeSet<>();
        for (ProcessHandle ph : processesOfHome()) {
            if (ph.pid() != self && isRunning(ph.pid())) procs.add(ph.pid());
        }
        return new Leftovers(names(stateDir().resolve("vms")), names(runtimeDir()), storeVmRows(), procs);
    }

    private static java.util.Set<String> names(Path dir) throws IOException {
        java.util.Set<String> out = new java.util.TreeSet<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> list = Files.list(dir)) {
            list.forEach(p -> out.add(p.getFileName().toString()));
        }
        // the daemon's own socket and lock come and go with the daemon, not with a VM
        out.removeAll(List.of("bangerd.sock", "bangerd.lock"));
        return out;
    }

    private static java.util.Set<String> storeVmRows() throws IOException {
        Path db = stateDir().resolve("banger.db");
        java.util.Set<String> rows = new java.util.TreeSet<>();
        if (!Files.exists(db)) return rows;
        try (var conn = java.sql.DriverManager.getConnection("jdbc:sqlite:file:" + db + "?mode=ro");
             var st = conn.createStatement(); var rs = st.executeQuery("SELECT id, name FROM vms")) {
            while (rs.next()) rows.add(rs.getString(1) + " " + rs.getString(2));
        } catch (java.sql.SQLException e) {
            throw new IOException("reading " + db + ": " + e.getMessage(), e);
        }
        return rows;
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
        killProcessesOfHome();
    }

    private static void killProcessesOfHome() throws IOException, InterruptedException {
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
