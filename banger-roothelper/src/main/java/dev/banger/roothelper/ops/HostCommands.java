package dev.banger.roothelper.ops;

import java.util.List;

/**
 * Runs one host tool ({@code ip}, {@code nft}) with an argument list, never a shell string.
 * Production: {@link ProcessCommands}. Tests pass one that runs the same argv inside a network
 * namespace they created, so the operations themselves carry no test switch.
 */
public interface HostCommands {
    /** Runs {@code argv} (argv[0] a tool name) with {@code stdin} (may be empty); never throws on a non-zero exit. */
    CommandResult run(List<String> argv, String stdin);

    record CommandResult(List<String> argv, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The first line of stderr, for a one-line error message. */
        public String firstErrorLine() {
            String text = stderr.isBlank() ? stdout : stderr;
            String line = text.strip().lines().findFirst().orElse("exit code " + exitCode);
            return line.length() > 200 ? line.substring(0, 200) + "…" : line;
        }
    }
}
