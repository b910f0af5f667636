package dev.banger.core;

/**
 * Receives progress from long operations (vm.create, kernel import, image build).
 * The daemon forwards each report to the RPC caller as a notification; tests collect them.
 * {@code stage} is one of the stable stage names documented in docs/rpc.md.
 */
@FunctionalInterface
public interface ProgressSink {
    void report(String stage, String detail);

    ProgressSink NONE = (stage, detail) -> { };
}
