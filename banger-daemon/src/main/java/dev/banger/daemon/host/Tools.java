package dev.banger.daemon.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host tool (qemu-img, mkfs.ext4, cp) from an argument list; a failure carries its stderr. */
public final class Tools {
    private Tools() { }

    public static String run(List<String> argv, Duration timeout) throws IOException, InterruptedException {
        return run(argv, timeout, 0);
    }

    /** okExitCodes: e.g. 0 and 1 for e2fsck, whose 1 means "errors corrected". */
    public static String run(List<String> argv, Duration timeout, int... okExitCodes) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(argv.getFirst() + " timed out after " + timeout.toSeconds() + "s");
            }
            String text = new String(out, StandardCharsets.UTF_8).strip();
            int exit = p.exitValue();
            if (java.util.Arrays.stream(okExitCodes).noneMatch(c -> c == exit)) {
                throw new IOException(argv.getFirst() + " failed (exit " + p.exitValue() + "): "
                        + text.lines().reduce((a, b) -> b).orElse(""));
            }
            return text;
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
    }
}
