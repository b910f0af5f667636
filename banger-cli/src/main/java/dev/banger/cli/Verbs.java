package dev.banger.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/** What verbs of every group share: each verb class names its argument and its call, these print. */
final class Verbs {
    private Verbs() { }

    /** {@code show}: one object as JSON (the RPC result). {@code --json} is accepted for symmetry: it is the default. */
    abstract static class Show implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON (the default for show).")
        boolean json;

        abstract Object fetch() throws Exception;

        @Override
        public Integer call() throws Exception {
            Output.json(System.out, fetch());
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
