package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A bridged banger host inside namespaces this test makes, so the machine's own network and /etc are
 * never touched: a network namespace ({@code banger-e2e-<r>}) holding the root helper, bangerd, QEMU,
 * the bridge and the taps; an "uplink" namespace joined to it by a veth pair that plays the internet
 * (198.51.100.2, an HTTP server); and a private mount namespace over a copy of /etc in which the helper
 * writes its /etc/hosts block, and whose /dev/net/tun is usable by everyone, as udev leaves it on a
 * Debian host (this machine's is root-only). The helper runs as root; bangerd and the CLI run as a throwaway ordinary
 * user (its own home, a world-readable copy of the built programs, the seed's kernel and image).
 * Everything is removed by {@link #close}, also after a failure, and checked gone.
 *
 * <p>{@link #startBare} builds the same host but starts no helper and registers no image, for a test
 * that starts the helper and bangerd itself ({@link #startInNamespaces}), as a system install's units
 * say: then the live paths those units name ({@code /run}, {@code /var}) are private overlays in the
 * mount namespace too, the CLI runs with a login session's environment (the owner's real home and
 * {@code XDG_RUNTIME_DIR}, no {@code BANGER_*}), and the user's state is in the XDG dirs of that home.
 */
final class BridgedHost implements AutoCloseable {
    static final String SUBNET = "10.77.0.0/24";
    static final String BRIDGE_ADDRESS = "10.77.0.1";
    static final String HOST_UPLINK = "198.51.100.1";
    static final String UPLINK = "198.51.100.2";
    static final int HTTP_PORT = 8080;

    final String netns;
    final String uplinkNetns;
    final String user;
    final int uid;
    final int gid;
    final Path dir;
    final Path home;
    final Path helperSocket;
    final Path etc;
    private final Path bundle;
    /** A bare host: no helper of its own, the user's XDG dirs, private /run and /var ({@link #startBare}). */
    final boolean bare;
    /** The user's home as the passwd database says (where a system unit's bangerd keeps its state). */
    final Path userHome;
    private final List<String> cleanupErrors = new ArrayList<>();
    private final List<Process> started = new ArrayList<>();
    private Process mountHolder;
    private Process helper;
    private Process http;

    private BridgedHost(String suffix, boolean bare) throws IOException {
        netns = "banger-e2e-" + suffix;
        uplinkNetns = "banger-up-" + suffix;
        user = "banger-br" + suffix;
        dir = Files.createTempDirectory("banger-bridged-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        home = dir.resolve("home");
        helperSocket = dir.resolve("run/helper.sock");
        etc = dir.resolve("etc");
        bundle = dir.resolve("banger");
        uid = -1;
        gid = -1;
        this.bare = bare;
        userHome = Path.of("/home", user);
    }

    private BridgedHost(BridgedHost base, int uid, int gid, Path userHome) {
        this.netns = base.netns;
        this.uplinkNetns = base.uplinkNetns;
        this.user = base.user;
        this.dir = base.dir;
        this.home = base.home;
        this.helperSocket = base.helperSocket;
        this.etc = base.etc;
        this.bundle = base.bundle;
        this.uid = uid;
        this.gid = gid;
        this.bare = base.bare;
        this.userHome = userHome;
    }

    /** Builds the whole host; on any failure what was made so far is removed before the error goes up. */
    static BridgedHost start() throws Exception {
        return start(false);
    }

    /**
     * The namespaces, the user (with its XDG state dir holding the seed's kernel), the copy of the
     * programs and of /etc, private {@code /run} and {@code /var}, and the uplink; no helper, no bangerd,
     * no image: the caller starts them ({@link #startInNamespaces}) and then calls {@link #registerImage}.
     */
    static BridgedHost startBare() throws Exception {
        return start(true);
    }

    private static BridgedHost start(boolean bare) throws Exception {
        byte[] random = new byte[3];
        ThreadLocalRandom.current().nextBytes(random);
        BridgedHost names = new BridgedHost(HexFormat.of().formatHex(random), bare);
        root("useradd", "-m", "-s", "/bin/bash", names.user);
        BridgedHost host = null;
        try {
            String[] passwd = root("getent", "passwd", names.user).strip().split(":", -1);
            host = new BridgedHost(names, Integer.parseInt(passwd[2]), Integer.parseInt(passwd[3]), Path.of(passwd[5]));
            host.build();
            return host;
        } catch (Exception | AssertionError e) {
            try {
                (host != null ? host : names).close();
            } catch (Exception | AssertionError cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private void build() throws Exception {
        copyPrograms();
        // A bare host's bangerd runs as a system unit says: no BANGER_HOME, so its state is in the home's XDG dirs.
        Path owned = bare ? userHome.resolve(".local") : home;
        Path state = bare ? userHome.resolve(".local/state/banger") : home.resolve("state");
        Files.createDirectories(state);
        if (bare) Files.createDirectories(userHome.resolve(".config/banger"));
        Path seedRootfs = SharedImage.seedRootfs();
        root("cp", "-a", Banger.SEED_HOME.resolve("state/kernels").toString(), state.resolve("kernels").toString());
        root("cp", "--sparse=always", seedRootfs.toString(), rootfs().toString());
        root("chown", "-R", uid + ":" + gid, owned.toString(), rootfs().toString());
        if (bare) root("chown", "-R", uid + ":" + gid, userHome.resolve(".config").toString());
        network();
        mountNamespace();
        if (bare) privateLivePaths();
        startHttp();
        if (bare) return;
        startHelper();
        registerImage();
    }

    private Path rootfs() {
        return dir.resolve("rootfs.ext4");
    }

    /** The seed's image as the user's "debian", through the CLI (so a bangerd must answer, or the CLI starts one). */
    void registerImage() throws IOException, InterruptedException {
        Banger.Result registered = banger("image", "register", "debian", "--rootfs", rootfs().toString());
        assertThat(registered.exit()).as("image register: %s", registered.stderr()).isZero();
        Files.delete(rootfs());
    }

    /** The banger tree the user can read and run (bin/ and the built jars), usable as a system install's --prefix. */
    Path prefix() {
        return bundle;
    }

    /** The CLI, bangerd and the agent as built, readable by the user (the checkout may live in a root-only directory). */
    private void copyPrograms() throws IOException, InterruptedException {
        Path root = Banger.ROOT;
        for (String part : List.of("bin/banger", "bin/bangerd", "bin/env.sh", "banger-cli/target/banger-cli.jar",
                "banger-cli/target/lib", "banger-daemon/target/banger-daemon.jar", "banger-daemon/target/lib",
                "bin/banger-roothelper", "banger-roothelper/target/banger-roothelper.jar", "banger-roothelper/target/lib",
                "guest-agent/build/banger-agent")) {
            Path target = bundle.resolve(part);
            Files.createDirectories(target.getParent());
            root("cp", "-a", root.resolve(part).toString(), target.toString());
        }
        Path aot = root.resolve("banger-cli/target/banger-cli.aot");
        if (Files.exists(aot)) root("cp", "-a", aot.toString(), bundle.resolve("banger-cli/target/banger-cli.aot").toString());
        root("chmod", "-R", "a+rX", bundle.toString());
    }

    private void network() throws IOException, InterruptedException {
        root("ip", "netns", "add", netns);
        root("ip", "netns", "add", uplinkNetns);
        String suffix = netns.substring(netns.length() - 6);
        String hostEnd = "bgh" + suffix;
        String uplinkEnd = "bgu" + suffix;
        root("ip", "link", "add", hostEnd, "netns", netns, "type", "veth", "peer", "name", uplinkEnd, "netns", uplinkNetns);
        for (String[] end : new String[][] {{netns, hostEnd, HOST_UPLINK}, {uplinkNetns, uplinkEnd, UPLINK}}) {
            root("ip", "-n", end[0], "link", "set", "lo", "up");
            root("ip", "-n", end[0], "addr", "add", end[2] + "/24", "dev", end[1]);
            root("ip", "-n", end[0], "link", "set", end[1], "up");
        }
    }

    /**
     * A process that only holds a private mount namespace in which a copy of /etc is mounted over
     * /etc: the helper writes its hosts block there, and host-side lookups ({@link #inMountNamespace})
     * read it, while the machine's /etc stays as it was.
     */
    private void mountNamespace() throws IOException, InterruptedException {
        root("cp", "-a", "/etc", etc.toString());
        // The helper's upstream resolver: the uplink, where no DNS server answers (outside names fail fast, not leak out).
        Files.writeString(etc.resolve("resolv.conf"), "nameserver " + UPLINK + "\noptions timeout:1 attempts:1\n");
        mountHolder = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "--", "sleep", "infinity")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // Wait until the holder is in its own namespace (unshare has exec'd sleep).
        while (Files.readSymbolicLink(Path.of("/proc/" + mountHolder.pid() + "/ns/mnt"))
                .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")))) {
            if (System.nanoTime() > deadline) throw new IOException("the mount namespace holder did not start");
            Thread.sleep(20);
        }
        String holder = Long.toString(mountHolder.pid());
        root("nsenter", "-t", holder, "-m", "--", "mount", "--bind", etc.toString(), "/etc");
        // The real tun device with the mode a Debian host's udev gives it (0666): this machine's is 0600,
        // which only root could open. A node of its own in this namespace, the machine's left as it is.
        root("nsenter", "-t", holder, "-m", "--", "mount", "-t", "tmpfs", "-o", "mode=0755,size=64k", "banger-e2e-tun", "/dev/net");
        root("nsenter", "-t", holder, "-m", "--", "mknod", "-m", "0666", "/dev/net/tun", "c", "10", "200");
    }

    /**
     * The live /run and /var a system install's units name ({@code /run/banger}, {@code /run/user/UID},
     * {@code /var/lib/banger-roothelper}, {@code /var/log/banger}), private to the mount namespace: an
     * overlay on each whose upper layer is a tmpfs of this namespace, so whatever is made there never
     * reaches the machine's own directories (which need not have, and do not get, those names). The
     * network namespaces' files are mounts under /run/netns, which an overlay does not show; they are
     * moved back on top so {@code ip netns exec} keeps working inside.
     */
    private void privateLivePaths() throws IOException {
        Path layers = Files.createDirectories(dir.resolve("live-layers"));
        String script = """
                set -e
                layers=$1
                mount -t tmpfs -o mode=0755,size=64m banger-e2e-live "$layers"
                mkdir "$layers/netns" "$layers/run.upper" "$layers/run.work" "$layers/var.upper" "$layers/var.work"
                mount --rbind /run/netns "$layers/netns"
                mount -t overlay -o lowerdir=/run,upperdir="$layers/run.upper",workdir="$layers/run.work" banger-e2e-run /run
                mount --move "$layers/netns" /run/netns
                mount -t overlay -o lowerdir=/var,upperdir="$layers/var.upper",workdir="$layers/var.work" banger-e2e-var /var
                """;
        root("nsenter", "-t", Long.toString(mountHolder.pid()), "-m", "--", "sh", "-c", script, "sh", layers.toString());
    }

    /**
     * Starts {@code argv} as root in the test's mount and network namespaces, in /, with exactly
     * {@code env} (nothing inherited from the test's JVM); output appended to {@code logName} in the
     * host's dir. The process is ended by {@link #close} if it is still running, by its PID.
     */
    Process startInNamespaces(List<String> argv, java.util.Map<String, String> env, String logName) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(mountHolder.pid()), "-m", "--",
                "ip", "netns", "exec", netns, "env", "-i"));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(new java.io.File("/")).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(logName).toFile()));
        // nsenter, ip and env exec one another, so the PID started is the program's own.
        Process p = pb.start();
        synchronized (started) {
            started.add(p);
        }
        return p;
    }

    private void startHttp() throws IOException, InterruptedException {
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("hello.txt"), "hello from the uplink\n");
        http = new ProcessBuilder("ip", "netns", "exec", uplinkNetns, "python3", "-m", "http.server", Integer.toString(HTTP_PORT),
                "--bind", UPLINK, "--directory", www.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("http.log").toFile()).start();
        waitFor(() -> root(List.of("ip", "netns", "exec", uplinkNetns, "ss", "-Hltn", "sport", "= :" + HTTP_PORT)).contains(UPLINK),
                "the uplink HTTP server");
    }

    /** The root helper as root, in the test's network and mount namespaces; its state dir survives restarts. */
    void startHelper() throws IOException, InterruptedException {
        Files.createDirectories(helperSocket.getParent());
        Files.setPosixFilePermissions(helperSocket.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(mountHolder.pid()), "-m", "--",
                "ip", "netns", "exec", netns, Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Banger.ROOT.resolve("banger-roothelper/target/banger-roothelper.jar").toString(),
                "--socket", helperSocket.toString(), "--owner-uid", Integer.toString(uid), "--audit-log", dir.resolve("audit.log").toString(),
                "--subnet", SUBNET));
        if (helperHasStateDir()) cmd.addAll(List.of("--state-dir", dir.resolve("helper-state").toString()));
        helper = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("helper.log").toFile())).start();
        // Not merely "the socket file exists": a killed helper leaves its file behind until the new one replaces it.
        waitFor(() -> !helper.isAlive() || answers(helperSocket), "the root helper's socket");
        assertThat(helper.isAlive()).as("root helper: %s", log("helper.log")).isTrue();
    }

    private static boolean answers(Path socket) {
        try (var channel = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            return channel.connect(java.net.UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    /** The helper takes --state-dir once its DNS records persist; older builds do not know the flag. */
    private static boolean helperHasStateDir() {
        try {
            String help = root(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    Banger.ROOT.resolve("banger-roothelper/target/banger-roothelper.jar").toString(), "--help"));
            return help.contains("--state-dir");
        } catch (AssertionError e) {
            return e.getMessage() != null && e.getMessage().contains("--state-dir");
        }
    }

    /** SIGKILL, by PID, as a crash would. */
    void killHelper() throws InterruptedException {
        for (ProcessHandle p : helper.toHandle().descendants().toList()) p.destroyForcibly();
        helper.destroyForcibly();
        helper.waitFor(10, TimeUnit.SECONDS);
    }

    long helperPid() {
        // nsenter and ip netns exec exec into the JVM: the PID started is the helper's.
        return helper.pid();
    }

    String log(String name) {
        try {
            return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no " + name + ")";
        }
    }

    /** The CLI as the ordinary user, inside the test's network and mount namespaces; bangerd, started by it, runs there too. */
    Banger.Result banger(String... args) throws IOException, InterruptedException {
        return banger(Duration.ofMinutes(10), args);
    }

    Banger.Result banger(Duration timeout, String... args) throws IOException, InterruptedException {
        return banger(java.util.Map.of(), timeout, args);
    }

    /** With {@code extraEnv} set for the CLI (and a bangerd it starts, which inherits it). */
    Banger.Result banger(java.util.Map<String, String> extraEnv, Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(mountHolder.pid()), "-m", "--",
                "ip", "netns", "exec", netns, "setpriv", "--reuid", Integer.toString(uid),
                "--regid", Integer.toString(gid), "--init-groups", "--", "env", "-i", "HOME=/home/" + user, "USER=" + user,
                "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"));
        if (bare) {
            // A login session's: the CLI finds the unit's bangerd by XDG_RUNTIME_DIR alone, as on a real host.
            cmd.addAll(List.of("LOGNAME=" + user, "XDG_RUNTIME_DIR=/run/user/" + uid));
        } else {
            cmd.addAll(List.of("BANGER_HOME=" + home, "BANGER_NETWORK=bridged", "BANGER_HELPER_SOCKET=" + helperSocket));
        }
        extraEnv.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.add(bundle.resolve("bin/banger").toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("banger-br", ".out");
        Path err = Files.createTempFile("banger-br", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("banger " + String.join(" ", args) + " timed out; stderr: " + Files.readString(err));
            }
            return new Banger.Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    String ok(String... args) throws IOException, InterruptedException {
        Banger.Result r = banger(args);
        assertThat(r.exit()).as("banger %s: %s%s", String.join(" ", args), r.stderr(), r.stdout()).isZero();
        return r.stdout();
    }

    /** A command as root in the test's network namespace. */
    String inNetns(String... argv) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        cmd.addAll(List.of(argv));
        return root(cmd);
    }

    /** A command as root in the test's mount namespace (its /etc) and network namespace. */
    String inMountNamespace(String... argv) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(mountHolder.pid()), "-m", "--",
                "ip", "netns", "exec", netns));
        cmd.addAll(List.of(argv));
        return root(cmd);
    }

    /**
     * A command as root in the test's mount namespace itself, for mounts: {@code ip netns exec} (which
     * {@link #inMountNamespace} goes through) runs its command in a mount namespace of its own, so a
     * mount made there is gone with the command; one made here is seen by every process started after it.
     */
    String mountInNamespace(String... argv) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(mountHolder.pid()), "-m", "--"));
        cmd.addAll(List.of(argv));
        return root(cmd);
    }

    /** The banger taps in the namespace. */
    List<String> taps() {
        return inNetns("ip", "-o", "link", "show").lines().map(l -> l.split(":\\s+")[1].split("@")[0])
                .filter(n -> n.matches("bt[0-9a-f]{12}")).toList();
    }

    /** Processes of the user's banger home (bangerd, QEMU), found by the home in their environment or command line. */
    List<ProcessHandle> processesOfHome() {
        String env = "BANGER_HOME=" + home;
        if (bare) {
            // No BANGER_HOME to tell them by: everything the throwaway user runs is this host's.
            try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
                return all.filter(ph -> ph.info().user().filter(user::equals).isPresent()).toList();
            }
        }
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(ph -> ph.pid() != ProcessHandle.current().pid())
                    .filter(ph -> Banger.environ(ph.pid()).contains(env) || Banger.cmdline(ph.pid()).contains(home + "/")).toList();
        }
    }

    @Override
    public void close() throws Exception {
        if (uid >= 0) {
            step(() -> banger(Duration.ofMinutes(2), "daemon", "stop"));
            for (ProcessHandle p : processesOfHome()) step(() -> kill(p));
        }
        synchronized (started) {
            for (Process p : started) step(() -> kill(p.toHandle()));
        }
        for (Process p : new Process[] {helper, http, mountHolder}) {
            if (p != null) step(() -> kill(p.toHandle()));
        }
        step(() -> root(List.of("ip", "netns", "del", netns)));
        step(() -> root(List.of("ip", "netns", "del", uplinkNetns)));
        step(() -> root(List.of("userdel", "-r", user)));
        step(() -> root(List.of("rm", "-rf", "--one-file-system", dir.toString())));
        // Checked, not assumed: nothing of this host is left on the machine.
        String namespaces = root(List.of("ip", "netns", "list"));
        if (namespaces.contains(netns) || namespaces.contains(uplinkNetns)) cleanupErrors.add("a namespace is left: " + namespaces);
        if (new ProcessBuilder("id", user).start().waitFor() == 0) cleanupErrors.add("user " + user + " is left");
        if (Files.exists(dir)) cleanupErrors.add(dir + " is left");
        if (!cleanupErrors.isEmpty()) throw new AssertionError("bridged host cleanup: " + String.join("; ", cleanupErrors));
    }

    private interface Step {
        Object run() throws Exception;
    }

    private void step(Step step) {
        try {
            step.run();
        } catch (Exception | AssertionError e) {
            cleanupErrors.add(String.valueOf(e.getMessage()));
        }
    }

    private static Object kill(ProcessHandle p) throws Exception {
        for (ProcessHandle child : p.descendants().toList()) child.destroyForcibly();
        p.destroyForcibly();
        p.onExit().get(10, TimeUnit.SECONDS);
        return null;
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    static void waitFor(Condition condition, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                if (condition.holds()) return;
            } catch (Exception | AssertionError e) {
                // not yet
            }
            if (System.nanoTime() > deadline) throw new IOException("timed out waiting for " + what);
            Thread.sleep(100);
        }
    }

    static String root(String... argv) {
        return root(List.of(argv));
    }

    /** Runs a command as root (the test JVM) and returns stdout; fails on a non-zero exit. */
    static String root(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).start();
            p.getOutputStream().close();
            // stderr on its own thread: a command that fills one pipe while we block on the other would hang.
            java.util.concurrent.atomic.AtomicReference<String> errText = new java.util.concurrent.atomic.AtomicReference<>("");
            Thread err = Thread.ofVirtual().start(() -> {
                try {
                    errText.set(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the process went away
                }
            });
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            err.join();
            String stderr = errText.get();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", argv) + " timed out");
            }
            if (p.exitValue() != 0) throw new AssertionError(String.join(" ", argv) + " exited " + p.exitValue() + ": " + stderr + stdout);
            return stdout;
        } catch (IOException e) {
            throw new AssertionError(String.join(" ", argv) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
