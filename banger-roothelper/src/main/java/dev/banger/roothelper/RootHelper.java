package dev.banger.roothelper;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import dev.banger.roothelper.dns.DnsPaths;
import dev.banger.roothelper.ops.DnsOperations;
import dev.banger.roothelper.ops.HelperConfig;
import dev.banger.roothelper.ops.HostCommands;
import dev.banger.roothelper.ops.LocalRootOperations;
import dev.banger.roothelper.ops.NatOperations;
import dev.banger.roothelper.ops.NetworkOperations;
import dev.banger.roothelper.ops.ProcessCommands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code banger-roothelper}: serves the privileged operations to one owner uid on one Unix socket. */
@Command(name = "banger-roothelper", mixinStandardHelpOptions = true,
        description = "The narrow root helper of banger: bridge and taps, NAT, <name>.vm DNS, for one owner uid, on one Unix socket.")
public final class RootHelper implements Callable<Integer> {
    @Option(names = "--socket", required = true, description = "Unix socket to serve (mode 0660, group of the owner)")
    Path socket;

    @Option(names = "--owner-uid", required = true, description = "the one non-root uid served; taps are owned by it")
    int ownerUid;

    @Option(names = "--owner-gid", description = "the socket's group (default: the owner's primary group)")
    Integer ownerGid;

    @Option(names = "--audit-log", required = true, description = "file that gets one line per call (created 0600)")
    Path auditLog;

    @Option(names = "--bridge", defaultValue = HelperConfig.DEFAULT_BRIDGE, description = "bridge name (default: ${DEFAULT-VALUE})")
    String bridge;

    @Option(names = "--subnet", required = true, description = "the bridge's private /24, e.g. 10.77.0.0/24 (bangerd's bridge_subnet)")
    String subnet;

    @Option(names = "--max-ports", defaultValue = "" + HelperConfig.DEFAULT_MAX_PORTS, description = "ports allowed on the bridge (default: ${DEFAULT-VALUE})")
    int maxPorts;

    @Option(names = "--state-dir", defaultValue = "/var/lib/banger-roothelper",
            description = "directory for the helper's own state (the DNS records; created 0700; default: ${DEFAULT-VALUE})")
    Path stateDir;

    public static void main(String[] args) {
        CommandLine commandLine = new CommandLine(new RootHelper());
        // A bad subnet or bridge name is one line, not a stack trace.
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("banger-roothelper: " + e.getMessage());
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        System.exit(commandLine.execute(args));
    }

    @Override
    public Integer call() throws IOException {
        if (ownerUid <= 0) {
            throw new IllegalArgumentException("--owner-uid must be an ordinary user's uid (> 0); a root bangerd needs no helper");
        }
        HelperConfig config = new HelperConfig(bridge, HelperConfig.parseSubnet(subnet), ownerUid, maxPorts);
        ProcessCommands commands = new ProcessCommands();
        int gid = ownerGid != null ? ownerGid : primaryGroup(commands, ownerUid);
        configureLogging(auditLog);
        if (!stateDir.isAbsolute()) {
            throw new IllegalArgumentException("--state-dir must be an absolute path: " + stateDir);
        }
        DnsOperations dns = new DnsOperations(config, commands, DnsPaths.system(stateDir), DnsOperations.DNS_PORT);
        LocalRootOperations operations = new LocalRootOperations(new NetworkOperations(config, commands),
                new NatOperations(config, commands), dns);
        HelperServer server = HelperServer.bind(socket, ownerUid, gid, operations);
        // After the bind: a second helper started by mistake fails there, before it touches port 53.
        // A restarted helper serves the persisted records at once when the bridge is still up.
        dns.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dns.close();
            try {
                server.close();
            } catch (IOException e) {
                System.err.println("banger-roothelper: " + e.getMessage());
            }
        }));
        LoggerFactory.getLogger(RootHelper.class).info("serving {} for uid {} (bridge {}, subnet {}, state {})", socket, ownerUid, bridge, subnet, stateDir);
        server.serve();
        return 0;
    }

    /** The owner's primary group from the system's user database ({@code getent passwd UID}). */
    private static int primaryGroup(HostCommands commands, int uid) {
        HostCommands.CommandResult result = commands.run(List.of("getent", "passwd", Integer.toString(uid)), "");
        String[] fields = result.stdout().strip().split(":");
        if (!result.ok() || fields.length < 4) {
            throw new IllegalArgumentException("uid " + uid + " has no passwd entry; pass --owner-gid");
        }
        return Integer.parseInt(fields[3]);
    }

    /** Audit lines to their own file (created 0600), everything else to stderr: no logback.xml in this jar. */
    private static void configureLogging(Path auditLog) throws IOException {
        if (!Files.exists(auditLog)) {
            Files.createFile(auditLog, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.setPosixFilePermissions(auditLog, PosixFilePermissions.fromString("rw-------"));
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(context);
        file.setFile(auditLog.toString());
        file.setAppend(true);
        file.setEncoder(encoder(context, "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} %msg%n"));
        file.start();
        ch.qos.logback.classic.Logger audit = context.getLogger(AuditLog.LOGGER);
        audit.setAdditive(false);
        audit.setLevel(Level.INFO);
        audit.addAppender(file);
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder(context, "%d{ISO8601} %-5level %logger{0}: %msg%n"));
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
    }

    private static PatternLayoutEncoder encoder(LoggerContext context, String pattern) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        encoder.start();
        return encoder;
    }
}
