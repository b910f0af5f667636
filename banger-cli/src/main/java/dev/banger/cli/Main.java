package dev.banger.cli;

import dev.banger.core.BangerPaths;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code banger}. Each verb group lives in its own file: VmCommand, ImageCommand, KernelCommand, DaemonCommand. */
@Command(name = "banger", mixinStandardHelpOptions = true, version = "banger " + dev.banger.core.BangerVersion.VERSION,
        description = "Disposable Linux microVMs on your own machine.")
public final class Main {
    /** {@code banger --quiet VERB …}: the same switch as each long verb's own --quiet. */
    @picocli.CommandLine.Mixin
    QuietOption quiet = new QuietOption();

    static final BangerPaths PATHS = BangerPaths.fromEnvironment();

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /** The command tree for these arguments with banger's error handling: one line on stderr, exit 2 for bad usage. */
    static CommandLine commandLine(String[] args) {
        CommandLine cli = CommandTree.forArgs(args);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("banger: " + oneLine(e));
            return exitCodeFor(e);
        });
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("banger: " + e.getMessage());
            return EXIT_INVALID;
        });
        return cli;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    /**
     * One exit status per kind of error (the table in docs/cli.md): 2 invalid input (as picocli's bad
     * usage), 4 not found, 5 conflict, 130 cancelled, 1 everything else (failed, internal, daemon
     * unreachable). vm exec's remote exit codes may overlap them; its own errors still follow this table.
     */
    static int exitCodeFor(Throwable e) {
        if (!(e instanceof RpcException re)) return EXIT_FAILED;
        return switch (re.code()) {
            case RpcErrors.INVALID_PARAMS -> EXIT_INVALID;
            case RpcErrors.NOT_FOUND -> EXIT_NOT_FOUND;
            case RpcErrors.CONFLICT -> EXIT_CONFLICT;
            case RpcErrors.CANCELLED -> EXIT_CANCELLED;
            default -> EXIT_FAILED;
        };
    }

    static final int EXIT_FAILED = 1;
    static final int EXIT_INVALID = 2;
    static final int EXIT_NOT_FOUND = 4;
    static final int EXIT_CONFLICT = 5;
    static final int EXIT_CANCELLED = 130;
}
