package dev.banger.daemon.image.build;

import dev.banger.core.ProgressSink;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/** Forwards a child's stderr lines as progress and remembers the last few for error messages. */
final class StderrPump implements Runnable {
    private static final int KEEP = 25;

    private final InputStream stderr;
    private final ProgressSink progress;
    private final String stage;
    private final Deque<String> tail = new ArrayDeque<>();

    StderrPump(InputStream stderr, ProgressSink progress, String stage) {
        this.stderr = stderr;
        this.progress = progress;
        this.stage = stage;
    }

    @Override
    public void run() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > KEEP) {
                        tail.removeFirst();
                    }
                }
                progress.report(stage, line);
            }
        } catch (IOException e) {
            // The child was killed or its pipe closed; what we have is all there is.
        }
    }

    String tail() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }
}
