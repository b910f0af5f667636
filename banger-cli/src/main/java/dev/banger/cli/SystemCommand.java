package dev.banger.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code banger system …}: the two systemd units of a system install (docs/system-install.md). */
@Command(name = "system", description = "Install, inspect or remove banger's systemd units (bangerd and the root helper).",
        mixinStandardHelpOptions = true)
final class SystemCommand {
    static final List<Class<?>> VERBS = List.of(Install.class, StatusCommand.class, Restart.class, Uninstall.class);
    static final String DEFAULT_SUBNET = "10.77.0.0/24";
    static final int EXIT_NOT_INSTALLED = 3;

    /** The staging root: written to instead of / (no systemctl is run), for inspection and tests. */
    static SystemLayout layout(Path root) {
        if (root == null) return SystemLayout.live();
        return new SystemLayout(root.toAbsolutePath().normalize());
    }

    static String version() {
        return dev.banger.core.BangerVersion.VERSION;
    }

    static void print(PrintStream out, List<SystemFiles.Change> changes) {
        for (SystemFiles.Change c : changes) out.println(c.what() + " " + c.path());
    }

    /** Refuses a live change where systemd is not PID 1 (the one line the issue asks for), or when not root. */
    static void requireLiveHost(String verb) {
        if (!SystemHost.systemdRunning()) {
            throw new IllegalStateException("systemd is not running as PID 1 here (no /run/systemd/system), so there is nothing to "
                    + verb + " units into; use --root DIR to write a staging install");
        }
        if (!"root".equals(System.getProperty("user.name"))) throw new IllegalStateException("system " + verb + " needs root (run it with sudo)");
    }

    @Command(name = "install", description = "Write and enable bangerd.service and banger-roothelper.service for one owner; idempotent.",
            mixinStandardHelpOptions = true)
    static final class Install implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--owner", paramLabel = "USER", description = "The user bangerd runs as and the helper serves (default: $SUDO_USER).")
        String owner;

        @Option(names = "--root", paramLabel = "DIR", description = "Write the installation under DIR instead of / and run no systemctl.")
        Path root;

        @Option(names = "--prefix", paramLabel = "DIR", description = "The banger tree whose bin/bangerd and bin/banger-roothelper the units run (default: this banger's).")
        Path prefix;

        @Option(names = "--subnet", paramLabel = "CIDR", description = "The bridge's private /24 (the helper's --subnet; default " + DEFAULT_SUBNET + ").")
        String subnet = DEFAULT_SUBNET;

        @Override
        public Integer call() throws Exception {
            SystemLayout layout = layout(root);
            if (!layout.staging()) requireLiveHost("install");
            SystemInputs in = inputs();
            List<SystemFiles.Change> changes = new SystemFiles(layout).install(in);
            print(System.out, changes);
            boolean changed = changes.stream().anyMatch(SystemFiles.Change::changed);
            if (!layout.staging()) enable(changes, changed);
            System.out.println(changed ? "installed for " + in.owner().name() + " (uid " + in.owner().uid() + ")" : "up to date");
            return 0;
        }

        private SystemInputs inputs() throws IOException {
            String name = owner != null ? owner : System.getenv("SUDO_USER");
            if (name == null || name.isBlank()) throw bad("give --owner USER (the user bangerd runs as; no $SUDO_USER to default to)");
            Path tree = prefix != null ? prefix : System.getProperty("banger.root") == null ? null : Path.of(System.getProperty("banger.root"));
            if (tree == null) throw bad("give --prefix DIR (the banger tree the units run; this banger was not started through bin/banger)");
            tree = tree.toAbsolutePath().normalize();
            SystemInputs in;
            try {
                in = new SystemInputs(SystemOwner.lookup(name), tree, subnet, version());
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
            for (Path bin : List.of(in.bangerd(), in.helper())) {
                if (!Files.isExecutable(bin)) throw bad(bin + " is not an executable file (is --prefix a banger tree?)");
            }
            return in;
        }

        private CommandLine.ParameterException bad(String message) {
            return new CommandLine.ParameterException(spec.commandLine(), message);
        }

        /** daemon-reload when a unit changed, enable --now both, and restart the ones that were upgraded while running. */
        private static void enable(List<SystemFiles.Change> changes, boolean changed) throws IOException {
            if (changed) SystemHost.systemctlOrFail("daemon-reload");
            SystemHost.systemctlOrFail("enable", "--now", SystemLayout.HELPER_UNIT, SystemLayout.BANGERD_UNIT);
            for (SystemFiles.Change c : changes) {
                String unit = c.path().getFileName().toString();
                // bangerd's KillMode=process keeps its VMs through this restart; they are reconciled when it is back.
                if (c.what().equals("upgraded") && SystemLayout.UNITS.contains(unit)) SystemHost.systemctlOrFail("try-restart", unit);
            }
        }
    }

    /** {@code system status --json}: a public interface (docs/cli.md). */
    record UnitStatus(String name, String path, boolean present, String state) { }

    /**
     * {@code helperVersion} is what the helper's {@code version} operation says (null when it does not answer);
     * {@code version} is this CLI's; they differ after an upgrade whose helper was not restarted.
     */
    record Status(boolean installed, SystemRecord record, List<UnitStatus> units, String helperSocket, boolean helperReachable,
                  String helperVersion, String version, String network) { }

    @Command(name = "status", description = "The install record, both units, the helper's socket and the network mode VMs get.",
            mixinStandardHelpOptions = true)
    static final class StatusCommand implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Option(names = "--root", paramLabel = "DIR", description = "Inspect the installation under DIR instead of /.")
        Path root;

        @Override
        public Integer call() throws Exception {
            Status s = status(layout(root));
            if (json) Output.json(System.out, s);
            else Output.fields(System.out, fields(s));
            return s.installed() ? 0 : EXIT_NOT_INSTALLED;
        }

        static Status status(SystemLayout layout) throws IOException {
            SystemRecord record = new SystemFiles(layout).record();
            boolean systemd = !layout.staging() && SystemHost.systemdRunning();
            List<UnitStatus> units = new ArrayList<>();
            for (String unit : SystemLayout.UNITS) {
                Path p = layout.unit(unit);
                units.add(new UnitStatus(unit, p.toString(), Files.isRegularFile(p), systemd ? SystemHost.unitState(unit) : null));
            }
            Path socket = layout.socket();
            // Without a system install VMs get whatever the owner's config says; its default is rootless.
            String network = record != null ? record.network() : "rootless";
            boolean reachable = SystemHost.reachable(socket);
            String helperVersion = reachable ? SystemHost.helperVersion(socket).orElse(null) : null;
            return new Status(record != null, record, units, socket.toString(), reachable, helperVersion, version(), network);
        }

        static String helperVersionLine(Status s) {
            if (s.helperVersion() == null) return "unknown (the helper does not answer the version operation: older than " + s.version()
                    + "?); run: sudo banger system install && sudo banger system restart";
            if (s.helperVersion().equals(s.version())) return s.helperVersion() + " (same as this CLI)";
            return s.helperVersion() + ", but this CLI is " + s.version() + "; run: sudo banger system install && sudo banger system restart";
        }

        static List<Output.Field> fields(Status s) {
            List<Output.Field> f = new ArrayList<>();
            SystemRecord r = s.record();
            f.add(new Output.Field("installed", r == null ? "no" : "banger " + r.version() + " for " + r.owner() + " (uid " + r.ownerUid()
                    + ", gid " + r.ownerGid() + ") from " + r.prefix()));
            for (UnitStatus u : s.units()) {
                f.add(new Output.Field(u.name(), (u.present() ? "present" : "missing") + (u.state() == null ? "" : ", " + u.state())));
            }
            f.add(new Output.Field("helper socket", s.helperSocket() + (s.helperReachable() ? " (answering)" : " (not answering)")));
            if (s.helperReachable()) f.add(new Output.Field("helper version", helperVersionLine(s)));
            f.add(new Output.Field("network", r == null ? "rootless unless the owner's config.toml says bridged"
                    : s.network() + " on subnet " + r.subnet() + " (bangerd's unit sets BANGER_NETWORK=bridged)"));
            return f;
        }
    }

    @Command(name = "restart", description = "Restart the root helper, then bangerd; running VMs keep running and are reconciled.",
            mixinStandardHelpOptions = true)
    static final class Restart implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            requireLiveHost("restart");
            return restart(SystemLayout.live(), SystemHost.LIVE, System.out);
        }

        /**
         * The helper first, so that bangerd's reconcile after its restart finds the helper's socket back;
         * then bangerd, whose unit's KillMode=process kills only the JVM, not the QEMU processes in its
         * cgroup: the restarted bangerd adopts them. Two calls, not one {@code systemctl restart A B}, so
         * the order does not depend on how systemd merges the jobs of one transaction.
         */
        static int restart(SystemLayout layout, SystemHost.Systemctl systemctl, PrintStream out) throws IOException {
            for (String unit : SystemLayout.UNITS) {
                if (!Files.isRegularFile(layout.unit(unit))) {
                    out.println("not installed: " + layout.unit(unit) + " is missing (banger system install writes it)");
                    return EXIT_NOT_INSTALLED;
                }
            }
            for (String unit : List.of(SystemLayout.HELPER_UNIT, SystemLayout.BANGERD_UNIT)) {
                systemctl.runOrFail("restart", unit);
                String state = systemctl.run(List.of("is-active", unit)).firstLine();
                out.println("restarted " + unit + " (" + (state.isEmpty() ? "unknown" : state) + ")");
            }
            return 0;
        }
    }

    @Command(name = "uninstall", description = "Have the helper remove banger's bridge, nft table, taps and resolver wiring; stop and remove both units, the install record and the socket.",
            mixinStandardHelpOptions = true)
    static final class Uninstall implements Callable<Integer> {
        @Option(names = "--purge", description = "Also remove the helper's state (" + "/var/lib/banger-roothelper" + ") and audit log dir (/var/log/banger).")
        boolean purge;

        @Option(names = "--root", paramLabel = "DIR", description = "Remove the installation under DIR instead of / and run no systemctl.")
        Path root;

        @Override
        public Integer call() throws Exception {
            SystemLayout layout = layout(root);
            boolean live = !layout.staging() && SystemHost.systemdRunning();
            if (live) requireLiveHost("uninstall");
            removeHostState(layout, System.out);
            if (live) {
                SystemHost.Result r = SystemHost.systemctl("disable", "--now", SystemLayout.BANGERD_UNIT, SystemLayout.HELPER_UNIT);
                if (r.exit() != 0) System.out.println("systemctl disable --now: " + r.firstLine());
            }
            List<SystemFiles.Change> changes = new SystemFiles(layout).uninstall(purge);
            print(System.out, changes);
            if (live) SystemHost.systemctlOrFail("daemon-reload");
            System.out.println(changes.stream().anyMatch(SystemFiles.Change::changed) ? "uninstalled" : "nothing installed");
            return 0;
        }

        /**
         * While the helper still runs, it removes what banger made on the host (docs/root-helper.md,
         * remove_host_state): every tap, NAT element and DNS record, the nft table, the hosts block or
         * resolved's link settings, the bridge. Under --root this is the staging root's socket, so a helper
         * started from the staged unit's ExecStart is asked the same. A helper older than the operation gets
         * the reconcile it knows (VMs' leftovers only). Nobody answering: said, and the files still go.
         */
        static void removeHostState(SystemLayout layout, PrintStream out) throws IOException {
            Path socket = layout.socket();
            if (!SystemHost.reachable(socket)) {
                out.println("helper not answering on " + socket + ": nothing removed from the host's network (bridge, nft table, resolver wiring)");
                return;
            }
            String response = SystemHost.removeHostState(socket);
            if (response.contains("\"invalid_request\"")) {
                out.println("helper reconcile: " + SystemHost.reconcileNothing(socket));
            } else {
                out.println("helper remove_host_state: " + response);
            }
        }
    }
}
