package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 11's last test: the root helper and bangerd started exactly as the units of a system install
 * say (argv from ExecStart= split as systemd splits it, the unit's user, only the environment systemd
 * would give it, the directories it would create) serve a bridged VM end to end; a second install is a
 * no-op; and uninstall, with the helper still running, leaves the host as it was before the install.
 *
 * <p>There is no systemd as PID 1 here, so the units are installed into a staging root ({@code --root})
 * and their processes are started by this test, inside {@link BridgedHost#startBare}'s namespaces, where
 * the live paths the units name ({@code /run/banger}, {@code /run/user/UID}, {@code /var/lib/…},
 * {@code /var/log/banger}, {@code /etc/hosts}) are private. The staging root's {@code run/banger} is
 * bind-mounted on {@code /run/banger} there, so the socket the helper's ExecStart names is the one
 * {@code system uninstall --root} finds. What this cannot show: the sandbox lines (ProtectSystem=,
 * SystemCallFilter=, CapabilityBoundingSet=, …) as systemd applies them, and systemctl itself.
 */
class SystemUnitsE2eTest {
    /**
     * systemd's default PATH for the services of the system manager (its build-time DEFAULT_PATH, with
     * /sbin:/bin kept, as on a not-merged /usr build; on this merged-/usr host they are the same programs).
     */
    private static final String SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final Path LIVE_UNITS = Path.of("/etc/systemd/system");

    /** What a uninstall must give back: everything banger can leave on the host, as seen inside the namespaces. */
    record HostState(String links, String ruleset, String hosts, String stage, String sockets, String livePaths) { }

    /** A process started from a unit and the environment systemd would have given it. */
    record Started(Process process, Map<String, String> env) { }

    /**
     * What the launchers (bin/bangerd, bin/banger-roothelper: bash sourcing env.sh) add to the
     * environment they were given before they exec the JVM; anything else in the JVM's environment
     * came from the start, so the test JVM's own environment must not show up.
     */
    private static final java.util.Set<String> LAUNCHER_ENV = java.util.Set.of("JAVA_HOME", "MAVEN_OPTS", "PWD", "SHLVL", "_", "OLDPWD");

    /** A file's identity and content: a no-op install keeps all three. */
    record Stamp(long inode, long mtimeNanos, String text) { }

    @Test
    void theUnitsExecStartLinesServeABridgedVmAndUninstallGivesBackTheHost() throws Exception {
        try (BridgedHost host = BridgedHost.startBare()) {
            Path stage = Files.createDirectories(host.dir.resolve("stage"));
            HostState before = hostState(host, stage);
            assertThat(before.sockets()).as("no socket before the install").isEmpty();

            // 1. install, then the same install again: "up to date", not a byte, inode or mtime changed.
            String first = install(host, stage);
            assertThat(first).contains("installed for " + host.user);
            Path helperUnitFile = stage.resolve("etc/systemd/system/banger-roothelper.service");
            Path bangerdUnitFile = stage.resolve("etc/systemd/system/bangerd.service");
            Path record = stage.resolve("etc/banger/install.json");
            Map<Path, Stamp> installed = stamps(helperUnitFile, bangerdUnitFile, record);
            String second = install(host, stage);
            assertThat(second.strip()).endsWith("up to date").doesNotContain("wrote").doesNotContain("upgraded");
            assertThat(stamps(helperUnitFile, bangerdUnitFile, record)).isEqualTo(installed);

            // 2. both processes exactly as their units say; the helper first (bangerd's After=).
            UnitFile helperUnit = UnitFile.parse(Files.readString(helperUnitFile));
            UnitFile bangerdUnit = UnitFile.parse(Files.readString(bangerdUnitFile));
            assertThat(helperUnit.execStart().getFirst()).isEqualTo(host.prefix().resolve("bin/banger-roothelper").toString());
            assertThat(bangerdUnit.execStart()).containsExactly(host.prefix().resolve("bin/bangerd").toString());
            Started helperStart = startAsTheUnitSays(host, helperUnit, stage, "unit-helper.log");
            Process helper = helperStart.process();
            Path helperSocket = stage.resolve("run/banger/helper.sock");
            await(host, () -> !helper.isAlive() || answers(helperSocket), "the unit's helper socket", "unit-helper.log");
            assertThat(helper.isAlive()).as("helper from its unit: %s", host.log("unit-helper.log")).isTrue();
            assertThat(host.inMountNamespace("stat", "-c", "%a %u %g", "/run/banger/helper.sock").strip())
                    .as("the helper's socket, as the owner's group may use it").isEqualTo("660 0 " + host.gid);

            // user-runtime-dir@UID.service (the unit's Wants=) makes the owner's runtime dir: 0700, theirs.
            host.inMountNamespace("install", "-d", "-m", "0700", "-o", Integer.toString(host.uid), "-g", Integer.toString(host.gid),
                    "/run/user/" + host.uid);
            Started bangerdStart = startAsTheUnitSays(host, bangerdUnit, stage, "unit-bangerd.log");
            Process bangerd = bangerdStart.process();
            String daemonSocket = "/run/user/" + host.uid + "/banger/bangerd.sock";
            await(host, () -> !bangerd.isAlive() || host.inMountNamespace("sh", "-c", "test -S " + daemonSocket) != null,
                    "the unit's bangerd socket", "unit-bangerd.log");
            assertThat(bangerd.isAlive()).as("bangerd from its unit: %s", host.log("unit-bangerd.log")).isTrue();
            for (Started s : List.of(helperStart, bangerdStart)) assertEnvironment(s);
            assertThat(bangerdStart.env()).containsEntry("BANGER_NETWORK", "bridged").containsEntry("HOME", host.userHome.toString())
                    .containsEntry("XDG_RUNTIME_DIR", "/run/user/" + host.uid).doesNotContainKey("BANGER_HOME");
            String bangerdStatus = Files.readString(Path.of("/proc/" + bangerd.pid() + "/status"));
            assertThat(bangerdStatus).containsPattern("(?m)^Uid:\\s+" + host.uid + "\\s+" + host.uid + "\\s")
                    .containsPattern("(?m)^Gid:\\s+" + host.gid + "\\s+" + host.gid + "\\s");
            // The helper: root, with exactly CapabilityBoundingSet='s four (CHOWN 0, NET_BIND_SERVICE 10, NET_ADMIN 12, NET_RAW 13).
            String helperStatus = Files.readString(Path.of("/proc/" + helper.pid() + "/status"));
            assertThat(helperStatus).containsPattern("(?m)^Uid:\\s+0\\s").containsPattern("(?m)^CapBnd:\\s+0000000000003401$")
                    .containsPattern("(?m)^CapEff:\\s+0000000000003401$").containsPattern("(?m)^NoNewPrivs:\\s+1$");

            // 3. the owner, through the CLI with a login session's environment, talks to that bangerd.
            JsonNode status = Json.MAPPER.readTree(host.ok("daemon", "status", "--json"));
            assertThat(status.path("pid").asLong()).as("the CLI's bangerd is the unit's").isEqualTo(bangerd.pid());
            host.registerImage();
            JsonNode vm = Json.MAPPER.readTree(host.ok("vm", "create", "--name", "u", "--json"));
            assertThat(vm.path("state").asText()).isEqualTo("running");
            assertThat(vm.path("runtime").path("network").asText()).as("bridged, from the unit's BANGER_NETWORK").isEqualTo("bridge");
            String ip = vm.path("runtime").path("guest_ip").asText();
            assertThat(ip).startsWith("10.77.0.");
            assertThat(host.ok("vm", "exec", "u", "--", "echo", "served", "by", "the", "units")).isEqualTo("served by the units\n");
            assertThat(host.inMountNamespace("getent", "hosts", "u.vm")).as("the helper's hosts block").startsWith(ip);
            assertThat(host.taps()).hasSize(1);
            // Not a vacuous comparison below: while the VM runs, each part of the host state is banger's.
            HostState during = hostState(host, stage);
            assertThat(during.links()).contains("bgr0").isNotEqualTo(before.links());
            assertThat(during.ruleset()).contains("table inet banger");
            assertThat(during.hosts()).contains("u.vm");
            assertThat(during.stage()).contains("etc/systemd/system/bangerd.service", "etc/banger/install.json", "run/banger/helper.sock");
            assertThat(during.sockets()).contains("/run/banger/helper.sock", daemonSocket);
            assertThat(during.livePaths()).contains("/run/banger");
            host.ok("vm", "rm", "--force", "u");
            assertThat(host.taps()).isEmpty();
            assertThat(bangerd.isAlive()).isTrue();

            // 4. uninstall while the helper runs: it gets remove_host_state, then the files go.
            String uninstall = banger(host, "system", "uninstall", "--root", stage.toString());
            assertThat(uninstall).contains("helper remove_host_state: ").contains("\"code\":\"ok\"").contains("uninstalled");
            assertThat(helper.isAlive()).as("the helper ran through the uninstall").isTrue();
            HostState afterUninstall = hostState(host, stage);
            assertThat(afterUninstall.links()).as("links (bridge, taps)").isEqualTo(before.links());
            assertThat(afterUninstall.ruleset()).as("nft ruleset").isEqualTo(before.ruleset());
            assertThat(afterUninstall.hosts()).as("/etc/hosts").isEqualTo(before.hosts());
            assertThat(afterUninstall.stage()).as("the staging root (units, install.json, socket)").isEqualTo(before.stage());

            // What systemctl disable --now then does on a live host: SIGTERM each main process, bangerd first
            // (the reverse of its After=), and remove the helper's RuntimeDirectory= once it has stopped.
            stop(bangerd);
            stop(helper);
            host.mountInNamespace("umount", "/run/banger");
            host.inMountNamespace("rmdir", "/run/banger");
            assertThat(hostState(host, stage)).isEqualTo(before);
        }
    }

    /** {@link BridgedHost#waitFor}, failing with the process's log (the host's dir is gone once the test ends). */
    private static void await(BridgedHost host, BridgedHost.Condition condition, String what, String log) throws Exception {
        try {
            BridgedHost.waitFor(condition, what);
        } catch (java.io.IOException e) {
            throw new AssertionError(e.getMessage() + "; " + log + ":\n" + host.log(log), e);
        }
    }

    /** {@code banger ARGS} as root in the namespaces, with a root login's environment; must exit 0. */
    private static String banger(BridgedHost host, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "-i", "PATH=" + SYSTEMD_PATH, "HOME=/root", "USER=root", "LANG=C.UTF-8",
                host.prefix().resolve("bin/banger").toString()));
        cmd.addAll(List.of(args));
        return host.inMountNamespace(cmd.toArray(String[]::new));
    }

    private static String install(BridgedHost host, Path stage) {
        return banger(host, "system", "install", "--root", stage.toString(), "--owner", host.user, "--prefix", host.prefix().toString());
    }

    /**
     * Starts what {@code unit} runs as systemd would start it: {@code ExecStart=}'s words as the argv, as
     * {@code User=} (uid, gid, the user's supplementary groups) or root, in / (no WorkingDirectory=),
     * with {@code UMask=}, {@code CapabilityBoundingSet=} and {@code NoNewPrivileges=}, after creating {@code RuntimeDirectory=}, {@code StateDirectory=} and
     * {@code LogsDirectory=} with their modes; the environment is the unit's {@code Environment=} over
     * what systemd itself sets: PATH; HOME, USER, LOGNAME and SHELL for a unit with User=; and
     * RUNTIME_DIRECTORY, STATE_DIRECTORY, LOGS_DIRECTORY. Left out: INVOCATION_ID and JOURNAL_STREAM
     * (there is no journal here; banger reads neither) and the manager's locale (this host has none set).
     */
    private static Started startAsTheUnitSays(BridgedHost host, UnitFile unit, Path stage, String log) throws Exception {
        assertThat(unit.one("WorkingDirectory")).as("WorkingDirectory= is not modelled here").isNull();
        assertThat(unit.one("Type")).isEqualTo("simple");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", SYSTEMD_PATH);
        List<String> argv = new ArrayList<>();
        int uid = 0;
        int gid = 0;
        String user = unit.one("User");
        if (user != null) {
            String[] pw = host.inMountNamespace("getent", "passwd", user).strip().split(":", -1);
            uid = Integer.parseInt(pw[2]);
            gid = unit.one("Group") == null ? Integer.parseInt(pw[3])
                    : Integer.parseInt(host.inMountNamespace("getent", "group", unit.one("Group")).split(":")[2]);
            env.put("HOME", pw[5]);
            env.put("LOGNAME", user);
            env.put("USER", user);
            env.put("SHELL", pw[6]);
            argv.addAll(List.of("/usr/bin/setpriv", "--reuid", Integer.toString(uid), "--regid", Integer.toString(gid), "--init-groups", "--"));
        }
        for (String[] d : new String[][] {{"RuntimeDirectory", "/run", "RUNTIME_DIRECTORY"}, {"StateDirectory", "/var/lib", "STATE_DIRECTORY"},
                {"LogsDirectory", "/var/log", "LOGS_DIRECTORY"}}) {
            String name = unit.one(d[0]);
            if (name == null) continue;
            Path live = Path.of(d[1], name);
            String mode = Integer.toOctalString(unit.mode(d[0] + "Mode"));
            String owner = uid + ":" + gid;
            if (d[0].equals("RuntimeDirectory")) {
                // The staging root's copy is the real directory, bound on the live path: uninstall --root finds the socket there.
                Path staged = stage.resolve(Path.of("/").relativize(live));
                host.inMountNamespace("install", "-d", "-m", mode, "-o", Integer.toString(uid), "-g", Integer.toString(gid), staged.toString());
                host.inMountNamespace("mkdir", live.toString());
                host.mountInNamespace("mount", "--bind", staged.toString(), live.toString());
            } else {
                host.inMountNamespace("mkdir", "-p", live.toString());
            }
            host.inMountNamespace("chmod", mode, live.toString());
            host.inMountNamespace("chown", owner, live.toString());
            env.put(d[2], live.toString());
        }
        // The two sandbox lines setpriv can apply exactly: the helper then runs with only the capabilities
        // its unit grants (a root process keeps every capability in its bounding set) and no new privileges.
        String caps = unit.one("CapabilityBoundingSet");
        boolean noNewPrivileges = "yes".equals(unit.one("NoNewPrivileges"));
        if (caps != null || noNewPrivileges) {
            argv.add("/usr/bin/setpriv");
            if (caps != null) {
                StringBuilder set = new StringBuilder("-all");
                for (String cap : UnitFile.words(caps)) set.append(",+").append(cap.toLowerCase(java.util.Locale.ROOT).replaceFirst("^cap_", ""));
                argv.addAll(List.of("--bounding-set", set.toString()));
            }
            if (noNewPrivileges) argv.add("--no-new-privs");
            argv.add("--");
        }
        String umask = unit.one("UMask");
        // setpriv has no umask option; this shell only sets it and execs the argv as given, it parses nothing.
        if (umask != null) argv.addAll(List.of("/bin/sh", "-c", "umask \"$0\" && exec \"$@\"", umask));
        argv.addAll(unit.execStart());
        env.putAll(unit.environment());
        return new Started(host.startInNamespaces(argv, env, log), env);
    }

    /** The JVM's environment is what the unit's start gave it, plus only what its launcher adds. */
    private static void assertEnvironment(Started s) {
        Map<String, String> actual = new LinkedHashMap<>();
        for (String kv : Banger.environ(s.process().pid())) {
            int eq = kv.indexOf('=');
            if (eq > 0) actual.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        LAUNCHER_ENV.forEach(actual::remove);
        assertThat(actual).as("environment of pid %d", s.process().pid()).isEqualTo(s.env());
    }

    /** SIGTERM to the main process and a wait, as systemctl stop (KillSignal= and TimeoutStopSec= left at their defaults). */
    private static void stop(Process p) throws Exception {
        p.destroy();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("stopped by SIGTERM").isTrue();
    }

    private static HostState hostState(BridgedHost host, Path stage) {
        String links = host.inNetns("ip", "-o", "link", "show");
        String ruleset = host.inNetns("nft", "list", "ruleset").replaceAll("counter packets \\d+ bytes \\d+", "counter");
        String hosts = host.inMountNamespace("cat", "/etc/hosts");
        String tree = sorted(host.inMountNamespace("find", stage.toString(), "-printf", "%y %m %u:%g %P\\n"));
        String sockets = sorted(host.inMountNamespace("find", "/run", "/var/lib", "/var/log", "-type", "s"));
        String live = host.inMountNamespace("sh", "-c", "for p in \"$@\"; do [ -e \"$p\" ] && echo \"$p\"; done; true", "sh",
                "/run/banger", "/etc/banger", LIVE_UNITS.resolve("bangerd.service").toString(),
                LIVE_UNITS.resolve("banger-roothelper.service").toString());
        return new HostState(links, ruleset, hosts, tree, sockets, live);
    }

    private static String sorted(String lines) {
        return String.join("\n", lines.lines().sorted().toList());
    }

    private static Map<Path, Stamp> stamps(Path... files) throws Exception {
        Map<Path, Stamp> m = new LinkedHashMap<>();
        for (Path f : files) {
            var attrs = Files.readAttributes(f, "unix:ino,lastModifiedTime");
            m.put(f, new Stamp((Long) attrs.get("ino"), ((java.nio.file.attribute.FileTime) attrs.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS),
                    Files.readString(f)));
        }
        return m;
    }

    private static boolean answers(Path socket) {
        try (var channel = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            return channel.connect(java.net.UnixDomainSocketAddress.of(socket));
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
