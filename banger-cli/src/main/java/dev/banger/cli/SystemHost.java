package dev.banger.cli;

import dev.banger.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The live host's side of a system install: systemctl (argument lists, no shell) and the helper's socket. */
final class SystemHost {
    private SystemHost() { }

    /** systemd's own test for "booted with systemd" (sd_booted): the directory exists only when systemd is PID 1. */
    static boolean systemdRunning() {
        return Files.isDirectory(Path.of("/run/systemd/system"));
    }

    /** Runs systemctl with these arguments; returns its exit status and first output line. */
    record Result(int exit, String firstLine) { }

    /**
     * systemctl as a seam: the verbs take one, so a test without systemd as PID 1 can record the exact
     * argument lists a live host would get ({@link #LIVE} runs the real binary).
     */
    @FunctionalInterface
    interface Systemctl {
        Result run(List<String> args) throws IOException;

        /** Like {@link #run} but a non-zero exit is an error naming the command and its first line. */
        default void runOrFail(String... args) throws IOException {
            Result r = run(List.of(args));
            if (r.exit() != 0) throw new IOException("systemctl " + String.join(" ", args) + " failed: " + r.firstLine());
        }
    }

    static final Systemctl LIVE = args -> systemctl(args.toArray(String[]::new));

    static Result systemctl(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("systemctl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return new Result(p.waitFor(), out.lines().findFirst().orElse(""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + cmd, e);
        }
    }

    /** Like {@link #systemctl} but a non-zero exit is an error naming the command and its first line. */
    static void systemctlOrFail(String... args) throws IOException {
        Result r = systemctl(args);
        if (r.exit() != 0) throw new IOException("systemctl " + String.join(" ", args) + " failed: " + r.firstLine());
    }

    /** {@code systemctl is-active UNIT}'s word (active, inactive, failed, …). */
    static String unitState(String unit) throws IOException {
        String s = systemctl("is-active", unit).firstLine();
        return s.isEmpty() ? "unknown" : s;
    }

    /** Does anything accept a connection on the helper's socket? (No request is sent.) */
    static boolean reachable(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Asks the helper to reconcile with no live VM (docs/root-helper.md): it deletes every banger tap,
     * NAT element and DNS record (and the /etc/hosts block's lines). Returns the response line.
     */
    static String reconcileNothing(Path socket) throws IOException {
        var request = Json.MAPPER.createObjectNode().put("op", "reconcile");
        request.putArray("live_vm_ids");
        return exchange(socket, Json.MAPPER.writeValueAsString(request));
    }

    /** The helper's {@code remove_host_state} (docs/root-helper.md): everything banger made on the host goes. Returns the response line. */
    static String removeHostState(Path socket) throws IOException {
        return exchange(socket, "{\"op\":\"remove_host_state\"}");
    }

    /**
     * The helper's {@code version} operation: its banger version, or empty when nothing answers or the
     * answer is not a version (a helper older than the operation says invalid_request).
     */
    static java.util.Optional<String> helperVersion(Path socket) {
        try {
            var response = Json.MAPPER.readTree(exchange(socket, "{\"op\":\"version\"}"));
            var version = response.path("result").path("version");
            return "ok".equals(response.path("code").asText()) && version.isTextual() ? java.util.Optional.of(version.asText())
                    : java.util.Optional.empty();
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** One request line to the helper and its one response line (the CLI does not link the helper's client). */
    private static String exchange(Path socket, String line) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) ch.write(out);
            InputStream in = Channels.newInputStream(ch);
            java.io.ByteArrayOutputStream response = new java.io.ByteArrayOutputStream();
            for (int b; (b = in.read()) != -1 && b != '\n' && response.size() < 65_536; ) response.write(b);
            return response.toString(StandardCharsets.UTF_8);
        }
    }
}
