package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code banger system install|status|uninstall} on staging roots (docs/system-install.md): the exact
 * unit text for fixed inputs, idempotence and upgrade in place, {@code systemd-analyze verify} on the
 * written units, and uninstall leaving the root exactly as it was.
 */
@org.junit.jupiter.api.extension.ExtendWith(ThrowawayUser.class)
class SystemInstallTest {
    private static final SystemOwner ALICE = new SystemOwner("alice", 1000, 1000, Path.of("/home/alice"));
    private static final SystemInputs FIXED = new SystemInputs(ALICE, Path.of("/opt/banger"), "10.77.0.0/24", "0.1.0");
    /** The worktree: its bin/bangerd and bin/banger-roothelper are real executables, which verify insists on. */
    private static final Path TREE = Path.of(System.getProperty("user.dir")).getParent();

    private static Path temp;

    @BeforeAll
    static void makeTemp() throws IOException {
        temp = Files.createTempDirectory("banger-t-system-");
    }

    @AfterAll
    static void removeTemp() throws IOException {
        try (Stream<Path> walk = Files.walk(temp)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
        assertThat(temp).doesNotExist();
    }

    @Test
    void bangerdUnitIsExactlyThisForFixedInputs() {
        assertThat(SystemUnits.bangerd(FIXED)).isEqualTo("""
                # Written by banger system install (banger 0.1.0); the next install or uninstall replaces it.
                # Why each line is here: /opt/banger/docs/system-install.md
                [Unit]
                Description=banger daemon of alice (bangerd)
                After=network.target banger-roothelper.service user-runtime-dir@1000.service
                Wants=banger-roothelper.service user-runtime-dir@1000.service

                [Service]
                Type=simple
                User=alice
                Environment=BANGER_NETWORK=bridged
                Environment=BANGER_HELPER_SOCKET=/run/banger/helper.sock
                Environment=XDG_RUNTIME_DIR=/run/user/1000
                ExecStart=/opt/banger/bin/bangerd
                KillMode=process
                Restart=on-failure
                RestartSec=2s
                UMask=0077
                ProtectHome=read-only
                ReadWritePaths=/home/alice/.local/state/banger /home/alice/.config/banger -/run/user/1000

                [Install]
                WantedBy=multi-user.target
                """);
    }

    @Test
    void helperUnitIsExactlyThisForFixedInputs() {
        assertThat(SystemUnits.helper(FIXED)).isEqualTo("""
                # Written by banger system install (banger 0.1.0); the next install or uninstall replaces it.
                # Why each line is here: /opt/banger/docs/system-install.md
                [Unit]
                Description=banger root helper for alice (bridge, taps, NAT, <name>.vm)
                After=network.target

                [Service]
                Type=simple
                ExecStart=/opt/banger/bin/banger-roothelper --socket /run/banger/helper.sock --owner-uid 1000 --owner-gid 1000 \
                --audit-log /var/log/banger/roothelper.audit --subnet 10.77.0.0/24 --state-dir /var/lib/banger-roothelper
                Restart=on-failure
                RestartSec=2s
                UMask=0077
                RuntimeDirectory=banger
                RuntimeDirectoryMode=0755
                StateDirectory=banger-roothelper
                StateDirectoryMode=0700
                LogsDirectory=banger
                LogsDirectoryMode=0700
                CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_CHOWN
                NoNewPrivileges=yes
                ProtectSystem=strict
                ReadWritePaths=-/etc/hosts
                ProtectHome=yes
                PrivateTmp=yes
                DevicePolicy=closed
                DeviceAllow=/dev/net/tun rw
                RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6
                SystemCallFilter=@system-service
                SystemCallArchitectures=native
                ProtectKernelModules=yes
                ProtectControlGroups=yes
                ProtectClock=yes
                ProtectHostname=yes
                RestrictNamespaces=yes
                RestrictRealtime=yes
                RestrictSUIDSGID=yes
                LockPersonality=yes

                [Install]
                WantedBy=multi-user.target
                """);
    }

    @Test
    void inputsThatWouldBreakAUnitLineAreRefused() {
        assertThatThrownBy(() -> new SystemOwner("root", 0, 0, Path.of("/root"))).hasMessageContaining("ordinary user");
        assertThatThrownBy(() -> new SystemOwner("al ice", 1000, 1000, Path.of("/home/a"))).hasMessageContaining("user name");
        assertThatThrownBy(() -> new SystemOwner("alice", 1000, 1000, Path.of("/home/a b"))).hasMessageContaining("home");
        assertThatThrownBy(() -> new SystemInputs(ALICE, Path.of("/opt/%h"), "10.77.0.0/24", "0.1.0")).hasMessageContaining("--prefix");
        assertThatThrownBy(() -> new SystemInputs(ALICE, Path.of("/opt/b"), "10.77.0.0/16", "0.1.0")).hasMessageContaining("--subnet");
    }

    @Test
    void secondInstallChangesNothingAndOtherInputsUpgradeInPlace() throws IOException {
        SystemLayout layout = new SystemLayout(Files.createTempDirectory(temp, "idem-"));
        SystemFiles files = new SystemFiles(layout);
        assertThat(files.install(FIXED)).extracting(SystemFiles.Change::what).containsExactly("wrote", "wrote", "wrote");
        Map<Path, Object> before = snapshot(layout.root());
        assertThat(files.install(FIXED)).extracting(SystemFiles.Change::what).containsExactly("up to date", "up to date", "up to date");
        assertThat(snapshot(layout.root())).as("same bytes, same inodes and mtimes: nothing rewritten").isEqualTo(before);

        SystemInputs otherSubnet = new SystemInputs(ALICE, FIXED.prefix(), "10.88.0.0/24", "0.1.0");
        assertThat(files.install(otherSubnet)).extracting(SystemFiles.Change::what).containsExactly("upgraded", "up to date", "upgraded");
        assertThat(Files.readString(layout.unit(SystemLayout.HELPER_UNIT))).contains("--subnet 10.88.0.0/24").doesNotContain("10.77.0.0");
        assertThat(files.record()).isEqualTo(SystemRecord.of(otherSubnet));
        try (Stream<Path> all = Files.walk(layout.root())) {
            assertThat(all.map(Path::getFileName).map(Path::toString)).as("no temp file left").noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void theRecordSaysWhomAndWhatAsSnakeCaseJson() throws IOException {
        SystemLayout layout = new SystemLayout(Files.createTempDirectory(temp, "record-"));
        new SystemFiles(layout).install(FIXED);
        var json = Json.MAPPER.readTree(Files.readString(layout.record()));
        assertThat(json.get("owner").asText()).isEqualTo("alice");
        assertThat(json.get("owner_uid").asInt()).isEqualTo(1000);
        assertThat(json.get("owner_gid").asInt()).isEqualTo(1000);
        assertThat(json.get("prefix").asText()).isEqualTo("/opt/banger");
        assertThat(json.get("version").asText()).isEqualTo("0.1.0");
        assertThat(json.get("helper_socket").asText()).isEqualTo("/run/banger/helper.sock");
        assertThat(Files.getPosixFilePermissions(layout.record())).extracting(Object::toString)
                .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE", "GROUP_READ", "OTHERS_READ");
    }

    @Test
    void systemdAnalyzeVerifyPassesOnTheWrittenUnitsWithNoWarning() throws Exception {
        // verify checks that User= resolves and that ExecStart's binary is executable, so: a real user, the real tree.
        SystemOwner owner = SystemOwner.lookup(ThrowawayUser.NAME);
        SystemInputs in = new SystemInputs(owner, TREE, "10.77.0.0/24", "0.1.0");
        SystemLayout layout = new SystemLayout(Files.createTempDirectory(temp, "verify-"));
        new SystemFiles(layout).install(in);
        List<String> cmd = new ArrayList<>(List.of("systemd-analyze", "verify"));
        for (String unit : SystemLayout.UNITS) cmd.add(layout.unit(unit).toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        // An unknown key or a bad value is only a warning (exit 0): any line naming our units is a failure.
        assertThat(out.lines().filter(l -> l.contains("bangerd.service") || l.contains("banger-roothelper.service"))).as(out).isEmpty();
    }

    @Test
    void uninstallLeavesTheRootAsItWasBeforeInstall() throws Exception {
        Path root = Files.createTempDirectory(temp, "uninstall-");
        // What a host already has: the unit dir with someone else's unit, and an unrelated file in /etc.
        Files.createDirectories(root.resolve("etc/systemd/system"));
        Files.writeString(root.resolve("etc/systemd/system/other.service"), "[Service]\nExecStart=/bin/true\n");
        Files.writeString(root.resolve("etc/hosts"), "127.0.0.1 localhost\n");
        Map<Path, Object> before = snapshot(root);
        CliRun install = CliRun.banger("system", "install", "--owner", ThrowawayUser.NAME, "--root", root.toString(), "--prefix", TREE.toString());
        assertThat(install.exit()).as(install.err()).isZero();
        assertThat(install.out()).contains("installed for " + ThrowawayUser.NAME);
        Files.createDirectories(root.resolve("var/lib/banger-roothelper"));
        Files.writeString(root.resolve("var/lib/banger-roothelper/dns-records.json"), "[]");
        Files.createDirectories(root.resolve("var/log/banger"));
        Files.writeString(root.resolve("var/log/banger/roothelper.audit"), "x\n");
        assertThat(snapshot(root).keySet()).as("install wrote its files").contains(
                Path.of("etc/systemd/system/bangerd.service"), Path.of("etc/systemd/system/banger-roothelper.service"), Path.of("etc/banger/install.json"));

        CliRun again = CliRun.banger("system", "install", "--owner", ThrowawayUser.NAME, "--root", root.toString(), "--prefix", TREE.toString());
        assertThat(again.out().strip()).endsWith("\nup to date");

        CliRun status = CliRun.banger("system", "status", "--json", "--root", root.toString());
        assertThat(status.exit()).as(status.err()).isZero();
        var s = Json.MAPPER.readTree(status.out());
        assertThat(s.get("installed").asBoolean()).isTrue();
        assertThat(s.get("network").asText()).isEqualTo("bridged");
        assertThat(s.get("helper_reachable").asBoolean()).isFalse();
        assertThat(s.get("units").findValuesAsText("present")).containsExactly("true", "true");

        CliRun uninstall = CliRun.banger("system", "uninstall", "--purge", "--root", root.toString());
        assertThat(uninstall.exit()).as(uninstall.err()).isZero();
        assertThat(snapshot(root)).isEqualTo(before);
        CliRun after = CliRun.banger("system", "status", "--root", root.toString());
        assertThat(after.exit()).as("not installed").isEqualTo(SystemCommand.EXIT_NOT_INSTALLED);
        assertThat(after.out()).contains("installed:").contains("no");
    }

    /**
     * A staging root whose run/banger is a mount point (a test that mounts the live runtime dir there,
     * as an earlier attempt at the units' e2e did): rmdir is EBUSY. The uninstall used to stop there, exit 1,
     * with the units gone and their emptied directories left; the mount point is not banger's to remove.
     */
    @Test
    void uninstallWhereTheSocketDirectoryIsAMountPointLeavesItAndRemovesTheRest() throws Exception {
        Path root = Files.createTempDirectory(temp, "mounted-run-");
        CliRun install = CliRun.banger("system", "install", "--owner", ThrowawayUser.NAME, "--root", root.toString(), "--prefix", TREE.toString());
        assertThat(install.exit()).as(install.err()).isZero();
        Files.createDirectories(root.resolve("run/banger"));
        // The mount is made in a mount namespace of the uninstall's own, so nothing is mounted on this host, even after a crash.
        Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs banger-t-run \"$1/run/banger\" && exec \"$2\" -cp \"$3\" dev.banger.cli.Main system uninstall --root \"$1\"",
                "sh", root.toString(), Path.of(System.getProperty("java.home"), "bin", "java").toString(), System.getProperty("java.class.path"))
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("uninstalled");
        List<String> left = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(f -> !f.equals(root)).forEach(f -> left.add(root.relativize(f).toString()));
        }
        assertThat(left).as("only the mount point and its parent").containsExactlyInAnyOrder("run", "run/banger");
    }

    @Test
    void badInputsAreExitTwoWithOneLine() throws IOException {
        Path root = Files.createTempDirectory(temp, "bad-");
        CliRun noUser = CliRun.banger("system", "install", "--owner", "banger-t-nosuchuser", "--root", root.toString(), "--prefix", TREE.toString());
        assertThat(noUser.exit()).isEqualTo(2);
        assertThat(noUser.err().strip()).isEqualTo("banger: no user banger-t-nosuchuser on this host (getent passwd banger-t-nosuchuser)");
        CliRun noTree = CliRun.banger("system", "install", "--owner", ThrowawayUser.NAME, "--root", root.toString(), "--prefix", root.toString());
        assertThat(noTree.exit()).isEqualTo(2);
        assertThat(noTree.err()).contains("bin/bangerd is not an executable file");
        try (Stream<Path> files = Files.list(root)) {
            assertThat(files).as("a refused install writes nothing").isEmpty();
        }
    }

    @Test
    void aLiveInstallWhereSystemdIsNotPidOneIsOneLineAndExitOne() {
        org.junit.jupiter.api.Assumptions.assumeFalse(SystemHost.systemdRunning(), "this host runs systemd");
        CliRun r = CliRun.banger("system", "install", "--owner", ThrowawayUser.NAME, "--prefix", TREE.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("banger: systemd is not running as PID 1 here").doesNotContain("\n");
        assertThat(Path.of("/etc/banger/install.json")).doesNotExist();
    }

    @Test
    void aLiveRestartWhereSystemdIsNotPidOneIsOneLineAndExitOne() {
        org.junit.jupiter.api.Assumptions.assumeFalse(SystemHost.systemdRunning(), "this host runs systemd");
        CliRun r = CliRun.banger("system", "restart");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("banger: systemd is not running as PID 1 here").doesNotContain("\n");
    }

    /**
     * No systemd as PID 1 here, so systemctl is a recording double (the SystemHost.Systemctl seam): what is
     * checked is the exact argument lists a live host would get, in order, and that a failed helper
     * restart stops before bangerd is touched.
     */
    @Test
    void restartRestartsTheHelperThenBangerdAndNothingElse() throws IOException {
        Path root = Files.createTempDirectory(temp, "restart-");
        new SystemFiles(SystemCommand.layout(root)).install(FIXED);
        List<List<String>> calls = new ArrayList<>();
        SystemHost.Systemctl recording = args -> {
            calls.add(args);
            return new SystemHost.Result(0, args.getFirst().equals("is-active") ? "active" : "");
        };
        var out = new java.io.ByteArrayOutputStream();
        int exit = SystemCommand.Restart.restart(SystemCommand.layout(root), recording, new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(exit).isZero();
        assertThat(calls).containsExactly(
                List.of("restart", "banger-roothelper.service"), List.of("is-active", "banger-roothelper.service"),
                List.of("restart", "bangerd.service"), List.of("is-active", "bangerd.service"));
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(
                "restarted banger-roothelper.service (active)\nrestarted bangerd.service (active)\n");

        calls.clear();
        SystemHost.Systemctl helperFails = args -> {
            calls.add(args);
            return new SystemHost.Result(args.getFirst().equals("restart") ? 1 : 0, "Job for banger-roothelper.service failed.");
        };
        assertThatThrownBy(() -> SystemCommand.Restart.restart(SystemCommand.layout(root), helperFails, new java.io.PrintStream(out)))
                .hasMessage("systemctl restart banger-roothelper.service failed: Job for banger-roothelper.service failed.");
        assertThat(calls).as("bangerd is not restarted after the helper failed").containsExactly(List.of("restart", "banger-roothelper.service"));

        calls.clear();
        Path empty = Files.createTempDirectory(temp, "restart-none-");
        assertThat(SystemCommand.Restart.restart(SystemCommand.layout(empty), recording, new java.io.PrintStream(out)))
                .isEqualTo(SystemCommand.EXIT_NOT_INSTALLED);
        assertThat(calls).as("nothing installed: no systemctl").isEmpty();
    }

    /**
     * The helper here is a stand-in on the staging root's socket that answers every request line with one
     * fixed response: what is tested is the CLI's side (asking, parsing, comparing). The real helper's
     * answer to {"op":"version"} is tested by banger-roothelper's RootHelperProcessTest.
     */
    @Test
    void statusComparesTheHelpersVersionWithTheClis() throws Exception {
        Path root = Files.createTempDirectory(temp, "version-");
        new SystemFiles(SystemCommand.layout(root)).install(FIXED);
        Path socket = SystemCommand.layout(root).socket();
        Files.createDirectories(socket.getParent());
        String current = dev.banger.core.BangerVersion.VERSION;
        try (var helper = new OneLineServer(socket, "{\"code\":\"ok\",\"result\":{\"version\":\"" + current + "\"}}")) {
            CliRun same = CliRun.banger("system", "status", "--json", "--root", root.toString());
            var s = Json.MAPPER.readTree(same.out());
            assertThat(s.get("helper_version").asText()).isEqualTo(current);
            assertThat(s.get("version").asText()).isEqualTo(current);
            assertThat(helper.requests).contains("{\"op\":\"version\"}");
        }
        Files.delete(socket);
        try (var helper = new OneLineServer(socket, "{\"code\":\"ok\",\"result\":{\"version\":\"0.0.9\"}}")) {
            CliRun old = CliRun.banger("system", "status", "--root", root.toString());
            assertThat(old.out()).contains("helper version").contains("0.0.9, but this CLI is " + current
                    + "; run: sudo banger system install && sudo banger system restart");
        }
        Files.delete(socket);
        try (var helper = new OneLineServer(socket, "{\"code\":\"invalid_request\",\"message\":\"\\\"op\\\" must be one of …\"}")) {
            CliRun older = CliRun.banger("system", "status", "--json", "--root", root.toString());
            var s = Json.MAPPER.readTree(older.out());
            assertThat(s.get("helper_reachable").asBoolean()).isTrue();
            assertThat(s.get("helper_version").isNull()).as(older.out()).isTrue();
        }
        Files.delete(socket);
    }

    /**
     * Uninstall asks the helper on the (staging) root's socket for remove_host_state before the files go,
     * and an older helper that refuses the op gets the reconcile it knows. The helper is the one-line
     * stand-in; the real helper's remove_host_state (bridge, nft table, taps, hosts block listed before and
     * after in its own namespaces) is RootHelperRemoveHostStateTest in banger-roothelper.
     */
    @Test
    void uninstallAsksTheHelperToRemoveWhatBangerMadeOnTheHost() throws Exception {
        for (boolean olderHelper : new boolean[] {false, true}) {
            Path root = Files.createTempDirectory(temp, "rm-state-");
            new SystemFiles(SystemCommand.layout(root)).install(FIXED);
            Path socket = SystemCommand.layout(root).socket();
            Files.createDirectories(socket.getParent());
            String answer = olderHelper ? "{\"code\":\"invalid_request\",\"message\":\"op must be one of …\",\"result\":null}"
                    : "{\"code\":\"ok\",\"message\":\"\",\"result\":{\"deleted\":[\"bridge bgr0\"],\"errors\":[]}}";
            try (var helper = new OneLineServer(socket, answer)) {
                CliRun r = CliRun.banger("system", "uninstall", "--root", root.toString());
                assertThat(r.exit()).as(r.err()).isZero();
                if (olderHelper) {
                    assertThat(helper.requests).containsExactly("{\"op\":\"remove_host_state\"}", "{\"op\":\"reconcile\",\"live_vm_ids\":[]}");
                    assertThat(r.out()).contains("helper reconcile: ");
                } else {
                    assertThat(helper.requests).containsExactly("{\"op\":\"remove_host_state\"}");
                    assertThat(r.out()).startsWith("helper remove_host_state: " + answer + "\n");
                }
                assertThat(r.out()).contains("uninstalled");
            }
            Files.deleteIfExists(socket);
        }
        Path none = Files.createTempDirectory(temp, "rm-nohelper-");
        new SystemFiles(SystemCommand.layout(none)).install(FIXED);
        assertThat(CliRun.banger("system", "uninstall", "--root", none.toString()).out())
                .startsWith("helper not answering on " + SystemCommand.layout(none).socket());
    }

    /** Accepts connections on a Unix socket and answers each request line with one fixed line. */
    static final class OneLineServer implements AutoCloseable {
        final List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.nio.channels.ServerSocketChannel server;

        OneLineServer(Path socket, String response) throws IOException {
            server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
            server.bind(java.net.UnixDomainSocketAddress.of(socket));
            Thread.ofVirtual().start(() -> {
                while (server.isOpen()) {
                    try (var ch = server.accept()) {
                        var in = new java.io.BufferedReader(new java.io.InputStreamReader(java.nio.channels.Channels.newInputStream(ch),
                                StandardCharsets.UTF_8));
                        String line = in.readLine();
                        if (line == null) continue;
                        requests.add(line);
                        ch.write(java.nio.ByteBuffer.wrap((response + "\n").getBytes(StandardCharsets.UTF_8)));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** Every file and directory under root (relative), with a file's bytes, inode and mtime: equal snapshots mean nothing was touched. */
    static Map<Path, Object> snapshot(Path root) throws IOException {
        Map<Path, Object> m = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                if (p.equals(root)) continue;
                Object v = Files.isDirectory(p) ? "dir"
                        : List.of(new String(Files.readAllBytes(p), StandardCharsets.UTF_8), Files.getAttribute(p, "unix:ino"),
                                Files.getLastModifiedTime(p));
                m.put(root.relativize(p), v);
            }
        }
        return m;
    }
}
