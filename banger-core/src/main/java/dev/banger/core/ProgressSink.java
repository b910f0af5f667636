package dev.banger.core;

/**
 * Receives progress from long operations (vm.create, kernel import, image build).
 * The daemon forwards each report to the RPC caller as a notification; tests collect them.
 * {@code stage} is one of the stable stage names documented in docs/rpc.md. A call's stages
 * follow one another: work running beside a stage reports under that stage's name, never under
 * its own, or the caller would see the stages interleave (the "done build_rootfs 9 ms" of issue 12).
 */
@FunctionalInterface
public interface ProgressSink {
    void report(String stage, String detail);

    /**
     * A report that also counts bytes: {@code bytesDone} of {@code bytesTotal} (-1 when the total is
     * unknown), so that a client can draw a bar with a rate and an ETA. Sinks that only keep text ignore them.
     */
    default void report(String stage, String detail, long bytesDone, long bytesTotal) {
        report(stage, detail);
    }

    /** This sink with every report's detail after {@code prefix} under {@code stage}; bytes without a total get {@code bytesTotal}. */
    default ProgressSink relabelled(String stage, String prefix, long bytesTotal) {
        ProgressSink to = this;
        return new ProgressSink() {
            @Override
            public void report(String ignored, String detail) {
                to.report(stage, prefix + detail);
            }

            @Override
            public void report(String ignored, String detail, long bytesDone, long total) {
                to.report(stage, prefix + detail, bytesDone, total < 0 ? bytesTotal : total);
            }
        };
    }

    ProgressSink NONE = (stage, detail) -> { };
}
