package dev.banger.daemon.doctor;

import dev.banger.daemon.host.HostTools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/** The real host: the files, tools and commands of the machine bangerd runs on, as bangerd's own user. */
final class SystemProbe implements HostProbe {
    /** Every doctor command is a quick query (a version, a listing); one that hangs must not hold doctor past its budget. */
    private static final long COMMAND_DEADLINE_MS = 2_000;

    @Override
    public boolean exists(Path path) {
        return Files.exists(path);
    }

    @Override
    public Optional<String> read(Path path) {
        try {
            return Files.isReadable(path) ? Optional.of(Files.readString(path, StandardCharsets.UTF_8)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Opened without CREATE: a missing /dev/kvm must stay missing (see AccelSelector.kvmOpens). */
    @Override
    public boolean opensReadWrite(Path path) {
        try (FileChannel ignored = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public List<String> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public Optional<Path> tool(String name) {
        try {
            return Optional.of(HostTools.resolve(name));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public Output run(List<String> command) {
        Process p;
        try {
            List<String> argv = new java.util.ArrayList<>(command);
            Optional<Path> exe = tool(argv.getFirst());
            if (exe.isEmpty()) return new Output(-1, "", argv.getFirst() + " not found");
            argv.set(0, exe.get().toString());
            p = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            return new Output(-1, "", e.getMessage());
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(COMMAND_DEADLINE_MS, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Output(-1, "", command.getFirst() + " did not answer in " + COMMAND_DEADLINE_MS + " ms");
            }
            return new Output(p.exitValue(), out.get(1, TimeUnit.SECONDS), err.get(1, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Output(-1, "", "interrupted");
        } catch (Exception e) {
            return new Output(-1, "", String.valueOf(e.getMessage()));
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.complete("");
            }
        });
        return f;
    }

    @Override
    public long usableBytes(Path path) {
        try {
            Path existing = path;
            while (existing != null && !Files.exists(existing)) existing = existing.getParent();
            return existing == null ? -1 : Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public Optional<String> kernelConfig() {
        Path gz = Path.of("/proc/config.gz");
        if (Files.isReadable(gz)) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                return Optional.of(buf.toString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // fall through to /boot
            }
        }
        return read(Path.of("/proc/sys/kernel/osrelease")).map(String::strip).flatMap(r -> read(Path.of("/boot/config-" + r)));
    }

    @Override
    public boolean connects(Path unixSocket) {
        try (var ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            return ch.connect(java.net.UnixDomainSocketAddress.of(unixSocket));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public Optional<String> helperVersion(Path helperSocket) {
        try (var client = dev.banger.roothelper.api.HelperClient.connect(helperSocket)) {
            return Optional.ofNullable(client.version().version());
        } catch (IOException | RuntimeException e) {
            // An older helper answers invalid_request (HelperException); a dead one does not connect.
            return Optional.empty();
        }
    }

    @Override
    public long uid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public String user() {
        return System.getProperty("user.name");
    }
}
