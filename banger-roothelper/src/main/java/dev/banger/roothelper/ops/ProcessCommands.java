package dev.banger.roothelper.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs host tools as child processes. The tool is looked up in fixed system directories only, never
 * in the caller's PATH (the helper is root), and the child gets a minimal environment.
 */
public final class ProcessCommands implements HostCommands {
    private static final List<Path> SYSTEM_DIRS = List.of(Path.of("/usr/sbin"), Path.of("/sbin"), Path.of("/usr/bin"), Path.of("/bin"));
    private static final String SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
    private static final long TIMEOUT_SECONDS = 30;

    @Override
    public CommandResult run(List<String> argv, String stdin) {
        List<String> command = new ArrayList<>(argv);
        command.set(0, resolve(argv.getFirst()).toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", SYSTEM_PATH);
        env.put("LC_ALL", "C");
        try {
            Process process = builder.start();
            CompletableFuture<String> stdout = drain(process.getInputStream());
            CompletableFuture<String> stderr = drain(process.getErrorStream());
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                return new CommandResult(argv, -1, "", "timed out after " + TIMEOUT_SECONDS + " s: " + String.join(" ", argv));
            }
            return new CommandResult(argv, process.exitValue(), stdout.join(), stderr.join());
        } catch (IOException e) {
            return new CommandResult(argv, -1, "", "cannot run " + argv.getFirst() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CommandResult(argv, -1, "", "interrupted: " + String.join(" ", argv));
        }
    }

    static Path resolve(String tool) {
        if (tool.contains("/")) {
            throw new IllegalArgumentException("a tool name, not a path: " + tool);
        }
        return SYSTEM_DIRS.stream().map(dir -> dir.resolve(tool)).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new UncheckedIOException(new IOException(tool + " not found in " + SYSTEM_PATH)));
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.complete("");
            }
        });
        return text;
    }
}
