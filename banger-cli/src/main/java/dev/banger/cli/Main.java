package dev.banger.cli;

import dev.banger.core.BangerPaths;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code banger}. Each verb group lives in its own file: VmCommand, ImageCommand, KernelCommand, DaemonCommand. */
@Command(name = "banger", mixinStandardHelpOptions = true, version = "banger 0.1.0",
        description = "Disposable Linux microVMs on your own machine.")
public final class Main {
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
            return 2;
        });
        return cli;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    /** 1 for refused requests and failures (distinct codes would collide with vm exec's remote exit codes); 130 when cancelled. */
    static int exitCodeFor(Throwable e) {
        return e instanceof RpcException re && re.code() == RpcErrors.CANCELLED ? 130 : 1;
    }
}
