package dev.banger.cli;

import dev.banger.core.api.Methods;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.VmCreateParams;
import dev.banger.core.api.VmRef;
import dev.banger.core.api.VmRmParams;
import dev.banger.core.api.VmStopParams;
import dev.banger.core.api.VmPortParams;
import dev.banger.core.api.VmPorts;
import dev.banger.core.api.VmStatsParams;
import dev.banger.core.api.VmUsage;
import dev.banger.core.model.PortForward;
import dev.banger.core.model.Sizes;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcException;
import dev.banger.core.rpc.RpcClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code banger vm …}: each nested class is one verb and maps to one vm.* RPC method. */
@Command(name = "vm", description = "Create, run and manage microVMs.", mixinStandardHelpOptions = true)
final class VmCommand {
    static final java.util.List<Class<?>> VERBS = java.util.List.of(Create.class, Run.class, Start.class, Stop.class, Ssh.class,
            Kill.class, Restart.class, Rm.class, Prune.class, Ls.class, Show.class, Exec.class, Cp.class, Logs.class, Port.class,
            Stats.class, Resize.class);

    static final class CreateOptions {
        @Option(names = "--name", description = "VM name (a DNS label); generated when absent.")
        String name;
        @Option(names = "--image", description = "Image name or id (default: the configured default image, \"debian\").")
        String image;
        @Option(names = "--vcpu", description = "Virtual CPUs (default 1).")
        Integer vcpu;
        @Option(names = "--memory", description = "Memory: MiB, or a size such as 1G (default 512).")
        String memory;
        @Option(names = "--disk-size", description = "Work disk size, e.g. 4G (default 2G).")
        String diskSize;
        @Option(names = {"-p", "--publish"}, paramLabel = "[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]",
                description = "Forward a host port to the guest (repeatable; HOST_IP defaults to 127.0.0.1, the protocol to tcp).")
        List<String> publish = new ArrayList<>();
        @Option(names = "--nat", description = "Bridged networking only: let the VM reach the outside through the host (masquerade).")
        boolean nat;
        @Option(names = "--root-size", description = "Root filesystem size, e.g. 16G (default 8G, or the daemon's default_root_size); "
                + "sparse on the host, at least the image's size.")
        String rootSize;
        @Option(names = "--idle-stop", paramLabel = "DURATION",
                description = "Stop the VM after this long without exec sessions, TCP connections or CPU use, e.g. 90s, 30m, 2h "
                        + "(default: the daemon's idle_stop, off unless set; \"off\" turns it off).")
        String idleStop;

        VmCreateParams params(boolean noStart) {
            return params(noStart, false);
        }

        VmCreateParams params(boolean noStart, boolean removeOnFailure) {
            return new VmCreateParams(name, image, vcpu, memory == null ? null : memoryMib(memory), diskSize, noStart, removeOnFailure,
                    publish.isEmpty() ? null : publish.stream().map(PortForward::parse).toList(), rootSize, nat, idleStop);
        }

        static int memoryMib(String text) {
            try {
                long mib = text.strip().matches("-?\\d+") ? Long.parseLong(text.strip()) : Sizes.parse(text) >> 20;
                return Math.toIntExact(mib);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw RpcException.invalid(e instanceof ArithmeticException ? "memory out of range: " + text : e.getMessage());
            }
        }
    }

    @Command(name = "create", description = "Create a VM and start it (unless --no-start).", mixinStandardHelpOptions = true)
    static final class Create implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
        @Mixin
        CreateOptions opts = new CreateOptions();
        @Option(names = "--no-start", description = "Only create; do not boot.")
        boolean noStart;
        @Option(names = "--json", description = "Print the VM as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            VmRecord vm = DaemonClient.callWithProgress(Methods.VM_CREATE, opts.params(noStart));
            if (json) Output.json(System.out, vm);
            else System.out.println(vm.name());
            return 0;
        }
    }

    @Command(name = "run", description = "Create and start a VM, then run a command in it or open a shell.", mixinStandardHelpOptions = true)
    static final class Run implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
        @Mixin
        CreateOptions opts = new CreateOptions();
        @Option(names = "--rm", description = "Remove the VM when the command or shell exits.")
        boolean rm;
        @Parameters(arity = "0..*", paramLabel = "[IMAGE] [-- CMD…]",
                description = "Optional image (same as --image), then the command to run after --.")
        List<String> positionals = new ArrayList<>();
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            // Whatever follows "--" is the command; at most one positional before it is the image.
            List<String> original = spec.commandLine().getParseResult().originalArgs();
            int dashes = original.indexOf("--");
            int commandLength = dashes < 0 ? Math.max(0, positionals.size() - 1) : original.size() - dashes - 1;
            List<String> before = positionals.subList(0, positionals.size() - commandLength);
            List<String> command = positionals.subList(positionals.size() - commandLength, positionals.size());
            if (before.size() > 1) throw RpcException.invalid("expected at most one image before --, got " + before);
            String image = before.isEmpty() ? null : before.getFirst();
            if (image != null) {
                if (opts.image != null && !opts.image.equals(image)) throw RpcException.invalid("image given twice: " + image + " and --image " + opts.image);
                opts.image = image;
            }
            return ExecRunner.run(opts.params(false), command, rm);
        }
    }

    @Command(name = "start", description = "Start a stopped VM.", mixinStandardHelpOptions = true)
    static final class Start extends Verbs.PrintsName {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
        @Parameters(paramLabel = "VM")
        String vm;

        @Override
        String act() throws Exception {
            return DaemonClient.callWithProgress(Methods.VM_START, new VmRef(vm)).name();
        }
    }

    @Command(name = "stop", description = "Shut a VM down gracefully (agent, then ACPI), killing it after the timeout.", mixinStandardHelpOptions = true)
    static final class Stop extends Verbs.PrintsName {
        @Parameters(paramLabel = "VM")
        String vm;
        @Option(names = "--timeout", description = "Seconds to wait for a clean shutdown before killing (default 10).")
        Integer timeout;

        @Override
        String act() throws Exception {
            return DaemonClient.call(Methods.VM_STOP, new VmStopParams(vm, timeout)).name();
        }
    }

    @Command(name = "kill", description = "Kill a VM at once.", mixinStandardHelpOptions = true)
    static final class Kill extends Verbs.PrintsName {
        @Parameters(paramLabel = "VM")
        String vm;

        @Override
        String act() throws Exception {
            return DaemonClient.call(Methods.VM_KILL, new VmRef(vm)).name();
        }
    }

    @Command(name = "restart", description = "Stop then start a VM.", mixinStandardHelpOptions = true)
    static final class Restart extends Verbs.PrintsName {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
        @Parameters(paramLabel = "VM")
        String vm;

        @Override
        String act() throws Exception {
            return DaemonClient.callWithProgress(Methods.VM_RESTART, new VmStopParams(vm, null)).name();
        }
    }

    @Command(name = "rm", description = "Remove VMs and every file they own.", mixinStandardHelpOptions = true)
    static final class Rm implements Callable<Integer> {
        @Parameters(paramLabel = "VM", arity = "1..*")
        List<String> vms;
        @Option(names = {"-f", "--force"}, description = "Kill running VMs first.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            int rc = 0;
            try (RpcClient c = DaemonClient.connect(Main.PATHS, true)) {
                for (String vm : vms) {
                    try {
                        System.out.println(c.call(Methods.VM_RM, new VmRmParams(vm, force)).name());
                    } catch (RpcException e) {
                        System.err.println("banger: " + e.getMessage());
                        rc = Main.exitCodeFor(e);
                    }
                }
            }
            return rc;
        }
    }

    @Command(name = "prune", description = "Remove every VM that is not running.", mixinStandardHelpOptions = true)
    static final class Prune implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            for (String name : DaemonClient.call(Methods.VM_PRUNE, NoParams.NONE).removed()) System.out.println(name);
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List VMs.", mixinStandardHelpOptions = true)
    static final class Ls implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            print(System.out, DaemonClient.call(Methods.VM_LIST, NoParams.NONE), json);
            return 0;
        }

        /** The vm.list result as a table, or as exactly the RPC result with --json. */
        static void print(java.io.PrintStream out, List<VmRecord> vms, boolean json) throws java.io.IOException {
            if (json) {
                Output.json(out, vms);
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            for (VmRecord vm : vms) {
                VmRuntime rt = vm.runtime();
                SshTarget ssh = SshTarget.of(vm);
                rows.add(List.of(vm.name(), vm.id(), vm.state().wire(), Output.text(rt == null ? null : rt.guestIp()),
                        rt != null && rt.bridged() ? Output.text(rt.dnsName()) : "-",
                        Integer.toString(vm.spec().vcpu()), vm.spec().memoryMib() + "M", ssh == null ? "-" : ssh.toString()));
            }
            Output.table(out, List.of("NAME", "ID", "STATE", "IP", "DNS", "VCPU", "MEMORY", "SSH"), rows);
        }
    }

    @Command(name = "show", description = "Show one VM: a summary, or the full record with --json.", mixinStandardHelpOptions = true)
    static final class Show extends Verbs.Show<VmRecord> {
        @Parameters(paramLabel = "VM")
        String vm;

        @Override
        VmRecord fetch(RpcClient daemon) throws java.io.IOException {
            return daemon.call(Methods.VM_SHOW, new VmRef(vm));
        }

        @Override
        List<Output.Field> summary(RpcClient daemon, VmRecord shown) throws java.io.IOException {
            dev.banger.core.model.ImageRecord image;
            try {
                image = daemon.call(Methods.IMAGE_SHOW, new dev.banger.core.api.ImageRef(shown.imageId()));
            } catch (RpcException gone) {
                image = null;   // the summary still names the image by its id
            }
            return Summaries.vm(shown, image);
        }
    }

    @Command(name = "resize", description = "Grow a stopped VM's root disk, work disk or both (grow only).",
            mixinStandardHelpOptions = true)
    static final class Resize implements Callable<Integer> {
        @Parameters(paramLabel = "VM")
        String vm;
        @Option(names = "--root-size", description = "New root filesystem size, e.g. 16G; grown at the next boot.")
        String rootSize;
        @Option(names = "--disk-size", description = "New work disk size, e.g. 8G.")
        String diskSize;
        @Option(names = "--json", description = "Print the VM as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (rootSize == null && diskSize == null) throw RpcException.invalid("give --root-size, --disk-size or both");
            VmRecord resized = DaemonClient.call(Methods.VM_RESIZE, new dev.banger.core.api.VmResizeParams(vm, rootSize, diskSize));
            if (json) {
                Output.json(System.out, resized);
            } else {
                System.out.println(resized.name() + ": root " + Summaries.rootSize(resized) + ", work disk "
                        + Sizes.human(resized.spec().workDiskBytes()));
            }
            return 0;
        }
    }

    @Command(name = "exec", description = "Run a command in a running VM; exits with the command's exit code.", mixinStandardHelpOptions = true)
    static final class Exec implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "Command and arguments (after --).")
        List<String> command;
        @Option(names = {"-i", "--interactive"}, description = "Forward stdin to the command.")
        boolean interactive;
        @Option(names = {"-t", "--tty"}, description = "Allocate a pseudo-terminal.")
        boolean tty;

        @Override
        public Integer call() throws Exception {
            return ExecRunner.exec(vm, command, interactive, tty);
        }
    }

    @Command(name = "cp", description = "Copy files and directories between the host and a running VM over its agent "
            + "(no sshd or guest network needed): modes, mtimes and symlinks kept; - is a tar on stdin or stdout.",
            mixinStandardHelpOptions = true)
    static final class Cp implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
        @Parameters(arity = "2..*", paramLabel = "SRC… DST", description = "Host paths and one VM:PATH destination, "
                + "or VM:PATH sources and a host destination (PATH is relative to the guest's /).")
        List<String> operands;
        @Option(names = {"-r", "--recursive"}, description = "Copy directories.")
        boolean recursive;

        @Override
        public Integer call() throws Exception {
            List<String> sources = operands.subList(0, operands.size() - 1);
            String dst = operands.getLast();
            CopyRunner.GuestPath guestDst = CopyRunner.GuestPath.parse(dst);
            List<CopyRunner.GuestPath> guestSources = sources.stream().map(CopyRunner.GuestPath::parse).toList();
            boolean allGuest = guestSources.stream().allMatch(java.util.Objects::nonNull);
            boolean noneGuest = guestSources.stream().allMatch(java.util.Objects::isNull);
            if (guestDst != null && !noneGuest || guestDst == null && !allGuest) {
                throw RpcException.invalid("exactly one side of vm cp is VM:PATH: host sources and a VM:PATH destination, or the other way round");
            }
            if (guestDst == null && guestSources.stream().map(CopyRunner.GuestPath::vm).distinct().count() > 1) {
                throw RpcException.invalid("vm cp copies from one VM at a time");
            }
            try (RpcClient client = DaemonClient.connect(Main.PATHS, true); Progress progress = Progress.forTerminal()) {
                CopyRunner runner = new CopyRunner(client, System.err, progress);
                if (guestDst != null) runner.copyIn(sources, guestDst, recursive, System.in);
                else runner.copyOut(guestSources, dst, recursive, System.out);
                progress.succeeded();
            }
            return 0;
        }
    }

    /** Where a running VM's SSH is: its own address on the bridge, or its 127.0.0.1 forward in rootless mode; null when not running. */
    record SshTarget(String host, int port) {
        static SshTarget of(VmRecord v) {
            VmRuntime rt = v.runtime();
            if (v.state() != VmState.RUNNING || rt == null) return null;
            if (rt.bridged()) return rt.guestIp() == null ? null : new SshTarget(rt.guestIp(), 22);
            return rt.sshPort() == null || rt.sshPort() == 0 ? null : new SshTarget("127.0.0.1", rt.sshPort());
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    @Command(name = "ssh", description = "SSH into a VM as root with banger's key (its bridge address, or its 127.0.0.1 forward when rootless), "
            + "checking its host key against banger's known_hosts.", mixinStandardHelpOptions = true)
    static final class Ssh implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;
        @Parameters(index = "1..*", arity = "0..*", paramLabel = "CMD", description = "Optional remote command (after --).")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            // bangerd reads the guest's host keys over its agent and rewrites banger's known_hosts: the
            // key ssh sees is checked against the guest's own, never taken on first use.
            dev.banger.core.api.VmSshHosts hosts = DaemonClient.call(Methods.VM_SSH_HOSTS, new dev.banger.core.api.VmSshHostsParams(List.of(vm)));
            dev.banger.core.api.VmSshHost target = hosts.hosts().getFirst();
            if (target.error() != null) throw new RpcException(dev.banger.core.rpc.RpcErrors.FAILED, target.error());
            return new ProcessBuilder(argv(hosts, target, command)).inheritIO().start().waitFor();
        }

        /** The ssh command line: the same settings as the block {@code banger ssh-config} prints for this VM. */
        static List<String> argv(dev.banger.core.api.VmSshHosts hosts, dev.banger.core.api.VmSshHost target, List<String> command) {
            List<String> argv = new ArrayList<>(List.of("ssh", "-p", Integer.toString(target.port()),
                    "-o", "IdentityFile=" + SshConfigCommand.arg(hosts.identityFile()), "-o", "IdentitiesOnly=yes",
                    "-o", "UserKnownHostsFile=" + SshConfigCommand.arg(hosts.knownHosts()), "-o", "StrictHostKeyChecking=yes",
                    "-o", "LogLevel=ERROR", "root@" + target.hostName()));
            if (!command.isEmpty()) {
                argv.add("--");
                argv.addAll(command);
            }
            return argv;
        }
    }

    @Command(name = "logs", description = "Print a VM's serial console log.", mixinStandardHelpOptions = true)
    static final class Logs implements Callable<Integer> {
        @Parameters(paramLabel = "VM")
        String vm;
        @Option(names = {"-f", "--follow"}, description = "Keep printing new output until interrupted.")
        boolean follow;

        @Override
        public Integer call() throws Exception {
            Path log = Path.of(DaemonClient.call(Methods.VM_LOGS, new VmRef(vm)).path());
            // bangerd keeps the console capped in two halves: console.log.1 (older) and console.log.
            Path older = log.resolveSibling(log.getFileName() + ".1");
            if (!follow) {
                for (Path p : List.of(older, log)) {
                    try (var in = Files.newInputStream(p)) {
                        in.transferTo(System.out);   // streamed: never the whole file in memory
                    } catch (java.nio.file.NoSuchFileException e) {
                        // no such half (yet)
                    }
                }
                System.out.flush();
                return 0;
            }
            // Follow by descriptor: when bangerd rotates, the open file becomes console.log.1; finish
            // it, then continue with the new console.log from its start, losing nothing.
            java.nio.channels.FileChannel ch = null;
            Object key = null;
            try {
                while (true) {
                    if (ch == null && Files.exists(log)) {
                        ch = java.nio.channels.FileChannel.open(log);
                        key = Files.readAttributes(log, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
                    }
                    if (ch != null) {
                        if (ch.size() < ch.position()) ch.position(0);   // a new boot truncated it
                        copyRest(ch);
                        Object now = Files.exists(log)
                                ? Files.readAttributes(log, java.nio.file.attribute.BasicFileAttributes.class).fileKey() : null;
                        if (!java.util.Objects.equals(now, key)) {
                            copyRest(ch);
                            ch.close();
                            ch = null;
                            continue;
                        }
                    }
                    Thread.sleep(200);
                }
            } finally {
                if (ch != null) ch.close();
            }
        }

        private static void copyRest(java.nio.channels.FileChannel ch) throws java.io.IOException {
            long pos = ch.position();
            long n = ch.transferTo(pos, Long.MAX_VALUE, java.nio.channels.Channels.newChannel(System.out));
            ch.position(pos + n);
            System.out.flush();
        }
    }

    @Command(name = "port", description = "Forward host ports to a VM: add, rm, ls.", mixinStandardHelpOptions = true,
            subcommands = {PortAdd.class, PortRm.class, PortLs.class})
    static final class Port implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected a verb: add, rm or ls");
        }
    }

    /** add and rm: one forward of one VM, checked here before bangerd is asked; prints what changed. */
    abstract static class PortChange extends Verbs.PrintsName {
        private final dev.banger.core.api.Method<VmPortParams, VmPorts> method;
        private final java.util.function.Function<String, PortForward> parse;
        private final java.util.function.Function<PortForward, String> printed;
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        PortChange(dev.banger.core.api.Method<VmPortParams, VmPorts> method, java.util.function.Function<String, PortForward> parse,
                   java.util.function.Function<PortForward, String> printed) {
            this.method = method;
            this.parse = parse;
            this.printed = printed;
        }

        /** The forward as typed. */
        abstract String text();

        @Override
        String act() throws Exception {
            PortForward f = parse.apply(text());
            DaemonClient.call(method, new VmPortParams(vm, f));
            return printed.apply(f);
        }
    }

    @Command(name = "add", description = "Forward a host port to the VM: at once when it runs, else from its next start; kept with the VM.",
            mixinStandardHelpOptions = true)
    static final class PortAdd extends PortChange {
        @Parameters(index = "1", paramLabel = "[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]")
        String forward;

        PortAdd() {
            super(Methods.VM_PORT_ADD, PortForward::parse, PortForward::toString);
        }

        @Override
        String text() {
            return forward;
        }
    }

    @Command(name = "rm", description = "Remove a forward, named by its host side.", mixinStandardHelpOptions = true)
    static final class PortRm extends PortChange {
        @Parameters(index = "1", paramLabel = "[HOST_IP:]HOST_PORT[/tcp|udp]")
        String hostSide;

        PortRm() {
            super(Methods.VM_PORT_RM, PortRm::hostSide, PortForward::hostSide);
        }

        @Override
        String text() {
            return hostSide;
        }

        /** The host side as a forward (guest port 1, which rm ignores); a full add spec is accepted too. */
        static PortForward hostSide(String text) {
            String port = text.contains("/") ? text.substring(0, text.lastIndexOf('/')) : text;
            String proto = text.contains("/") ? text.substring(text.lastIndexOf('/')) : "";
            long colons = port.chars().filter(c -> c == ':').count();
            boolean fullSpec = colons == 2 || (colons == 1 && !port.substring(0, port.indexOf(':')).contains("."));
            if (fullSpec) return PortForward.parse(text);
            try {
                return PortForward.parse(port + ":1" + proto);
            } catch (RpcException e) {
                throw RpcException.invalid("invalid forward '" + text + "': expected [HOST_IP:]HOST_PORT[/tcp|udp]");
            }
        }
    }

    @Command(name = "ls", aliases = "list", description = "List a VM's forwards.", mixinStandardHelpOptions = true)
    static final class PortLs implements Callable<Integer> {
        @Parameters(paramLabel = "VM")
        String vm;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            VmPorts ports = DaemonClient.call(Methods.VM_PORT_LS, new VmRef(vm));
            if (json) {
                Output.json(System.out, ports);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (PortForward f : ports.forwards()) {
                rows.add(List.of(f.hostIp() + ":" + f.hostPort(), Integer.toString(f.guestPort()), f.protocol().wire()));
            }
            Output.table(System.out, List.of("HOST", "GUEST", "PROTOCOL"), rows);
            return 0;
        }
    }

    @Command(name = "stats", description = "CPU, memory, disk, uptime and network of running VMs.", mixinStandardHelpOptions = true)
    static final class Stats implements Callable<Integer> {
        @Parameters(paramLabel = "VM", arity = "0..1", description = "One VM (default: every running VM).")
        String vm;
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            print(System.out, DaemonClient.call(Methods.VM_STATS, new VmStatsParams(vm)), json);
            return 0;
        }

        /** The vm.stats result as a table in binary units, or as exactly the RPC result with --json. */
        static void print(java.io.PrintStream out, List<VmUsage> stats, boolean json) throws java.io.IOException {
            if (json) {
                Output.json(out, stats);
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            for (VmUsage u : stats) {
                rows.add(List.of(u.name(), String.format(java.util.Locale.ROOT, "%.1f%%", u.cpuPercent()),
                        usedOf(u.memoryUsedBytes(), u.memoryTotalBytes()), usedOf(u.rootUsedBytes(), u.rootSizeBytes()),
                        u.workSizeBytes() == 0 ? "-" : usedOf(u.workUsedBytes(), u.workSizeBytes()),
                        duration((long) u.uptimeSeconds()), Sizes.human(u.rxBytes()), Sizes.human(u.txBytes())));
            }
            Output.table(out, List.of("NAME", "CPU", "MEM", "ROOT", "WORK", "UPTIME", "RX", "TX"), rows);
        }

        private static String usedOf(long used, long total) {
            return Sizes.human(used) + " / " + Sizes.human(total);
        }

        /** Uptime the way people read it: 42s, 5m12s, 2h05m, 3d04h (the two largest units). */
        static String duration(long seconds) {
            long d = seconds / 86400;
            long h = seconds % 86400 / 3600;
            long m = seconds % 3600 / 60;
            long s = seconds % 60;
            if (d > 0) return String.format(java.util.Locale.ROOT, "%dd%02dh", d, h);
            if (h > 0) return String.format(java.util.Locale.ROOT, "%dh%02dm", h, m);
            if (m > 0) return String.format(java.util.Locale.ROOT, "%dm%02ds", m, s);
            return s + "s";
        }
    }

}
