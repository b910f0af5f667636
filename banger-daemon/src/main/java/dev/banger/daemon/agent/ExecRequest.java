package dev.banger.daemon.agent;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run in the guest. {@code env} entries are added to (or override) the agent's
 * defaults (PATH, HOME=/root, and TERM for tty); {@code cwd} empty or null means $HOME.
 * {@code rows}/{@code cols} only matter with {@code tty}; 0 leaves the PTY default. {@code credited}: the
 * guest sends output only as fast as the session delivers it (OUTPUT_ACK credit), never cut off for a slow
 * consumer: for a stream that must arrive whole (vm cp's tar); honoured by agents with flow control only.
 */
public record ExecRequest(List<String> argv, Map<String, String> env, String cwd, boolean tty, int rows, int cols, boolean credited) {
    public ExecRequest(List<String> argv, Map<String, String> env, String cwd, boolean tty, int rows, int cols) {
        this(argv, env, cwd, tty, rows, cols, false);
    }

    public ExecRequest {
        Objects.requireNonNull(argv, "argv");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must not be empty");
        }
        argv = List.copyOf(argv);
        // keep the caller's order so the encoded frame is deterministic
        env = env == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(env));
        cwd = cwd == null ? "" : cwd;
        if (rows < 0 || rows > 0xFFFF || cols < 0 || cols > 0xFFFF) {
            throw new IllegalArgumentException("rows/cols out of range: " + rows + "x" + cols);
        }
    }
}
