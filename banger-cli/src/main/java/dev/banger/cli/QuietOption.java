package dev.banger.cli;

import picocli.CommandLine.Option;

/** {@code -q/--quiet}: no progress, only results and errors. On banger itself and on every verb that shows progress. */
final class QuietOption {
    @Option(names = {"-q", "--quiet"}, description = "Print no progress: only the result and errors.")
    void quiet(boolean on) {
        Progress.quiet(on);
    }
}
