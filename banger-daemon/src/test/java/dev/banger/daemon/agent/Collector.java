package dev.banger.daemon.agent;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Test listener that records everything a session reports. */
public final class Collector implements ExecListener {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final List<Integer> exits = new CopyOnWriteArrayList<>();
    public final List<String> errors = new CopyOnWriteArrayList<>();

    @Override
    public synchronized void onStdout(byte[] data) {
        out.writeBytes(data);
    }

    @Override
    public synchronized void onStderr(byte[] data) {
        err.writeBytes(data);
    }

    @Override
    public void onExit(int code) {
        exits.add(code);
    }

    @Override
    public void onError(String message) {
        errors.add(message);
    }

    public synchronized String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    synchronized String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    synchronized int stdoutSize() {
        return out.size();
    }

    /** Polls until stdout matches, so tests can react to output of a still running command. */
    boolean awaitStdout(Predicate<String> condition, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            if (condition.test(stdout())) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.test(stdout());
    }
}
