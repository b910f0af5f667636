package dev.banger.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Raw mode and window size for the interactive shell, through stty on /dev/tty (the JDK has
 * no termios API). The saved settings are restored on close, also on Ctrl-C via a shutdown hook.
 */
final class Terminal implements AutoCloseable {
    private final String saved;
    private final Thread restoreHook;

    private Terminal(String saved) {
        this.saved = saved;
        this.restoreHook = new Thread(this::restore, "tty-restore");
        Runtime.getRuntime().addShutdownHook(restoreHook);
    }

    static boolean available() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal() && new File("/dev/tty").canRead();
    }

    static Terminal enterRaw() throws IOException {
        String saved = stty(List.of("-g")).strip();
        stty(List.of("raw", "-echo"));
        return new Terminal(saved);
    }

    /** {rows, cols}; 24x80 when unknown. */
    static int[] size() {
        try {
            String[] parts = stty(List.of("size")).strip().split("\\s+");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {24, 80};
        }
    }

    private static String stty(List<String> args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("stty");
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/tty")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("stty " + args + " failed");
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running stty", e);
        }
    }

    private void restore() {
        try {
            stty(List.of(saved));
        } catch (IOException ignored) {
            // the terminal is gone; nothing to restore
        }
    }

    @Override
    public void close() {
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreHook);
        } catch (IllegalStateException ignored) {
            // already shutting down; the hook restores
        }
    }
}
