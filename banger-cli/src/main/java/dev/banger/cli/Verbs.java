package dev.banger.cli;

import dev.banger.core.rpc.RpcClient;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/** What verbs of every group share: each verb class names its argument and its call, these print. */
final class Verbs {
    private Verbs() { }

    /**
     * {@code show}: one object as a summary for people (a few aligned {@code key: value} lines), or with
     * {@code --json} exactly the RPC result (a public interface). One daemon connection serves both the
     * fetch and whatever the summary looks up besides.
     */
    abstract static class Show<T> implements Callable<Integer> {
        @Option(names = "--json", description = "Print the full record as JSON (the RPC result).")
        boolean json;

        abstract T fetch(RpcClient daemon) throws IOException;

        abstract List<Output.Field> summary(RpcClient daemon, T shown) throws IOException;

        @Override
        public Integer call() throws Exception {
            try (RpcClient daemon = DaemonClient.connect(Main.PATHS, true)) {
                T shown = fetch(daemon);
                if (json) Output.json(System.out, shown);
                else Output.fields(System.out, summary(daemon, shown));
            }
            return 0;
        }
    }

    /** A verb that acts on one object and prints one line: its name (rm, start, kill, restart, stop). */
    abstract static class PrintsName implements Callable<Integer> {
        abstract String act() throws Exception;

        @Override
        public Integer call() throws Exception {
            System.out.println(act());
            return 0;
        }
    }
}
