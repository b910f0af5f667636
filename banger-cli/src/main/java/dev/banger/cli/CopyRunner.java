package dev.banger.cli;

import com.fasterxml.jackson.databind.node.LongNode;
import dev.banger.core.api.ExecOutput;
import dev.banger.core.api.ExecStdin;
import dev.banger.core.api.ExecStdinClose;
import dev.banger.core.api.Methods;
import dev.banger.core.api.Notifications;
import dev.banger.core.api.ProgressNote;
import dev.banger.core.api.VmCpInParams;
import dev.banger.core.api.VmCpOutParams;
import dev.banger.core.api.VmCpResult;
import dev.banger.core.rpc.RpcClient;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@code vm cp}: the host's half. The CLI, as the user, reads and writes the host's files and speaks tar
 * with bangerd's vm.cp.in / vm.cp.out, which pipe it to a busybox tar in the guest. One call per source.
 * {@code -} is a tar on stdin (into a guest directory) or on stdout (out of the guest), as docker cp does.
 */
final class CopyRunner {
    /** Tar bytes per exec.stdin notification: 256 KiB is about 350 KB of base64, far below the request cap. */
    private static final int CHUNK = 256 << 10;

    private final RpcClient client;
    private final PrintStream err;
    private final CopyMeter progress;

    /** {@code progress}: where each source's stage is shown (a terminal's live line, plain lines, or nothing). */
    CopyRunner(RpcClient client, PrintStream err, Progress progress) {
        this.client = client;
        this.err = err;
        this.progress = new CopyMeter(progress);
    }

    /** A {@code VM:PATH} operand, PATH made absolute (guest paths are relative to /). */
    record GuestPath(String vm, String path) {
        static GuestPath parse(String operand) {
            int colon = operand.indexOf(':');
            if (colon <= 0) return null;
            String vm = operand.substring(0, colon);
            // a host path such as ./a:b or /x:y is not a VM: VM names are DNS labels (ids are hex)
            if (!vm.matches("[A-Za-z0-9][A-Za-z0-9-]*")) return null;
            String path = operand.substring(colon + 1);
            return new GuestPath(vm, path.startsWith("/") ? path : "/" + path);
        }

        /** As the user writes it (progress lines show it). */
        @Override
        public String toString() {
            return vm + ":" + path;
        }
    }

    /** Host → guest. {@code sources} are host paths or a lone "-" (a tar on stdin). */
    void copyIn(List<String> sources, GuestPath dst, boolean recursive, InputStream stdin) throws IOException {
        if (sources.equals(List.of("-"))) {
            progress.begin("copy_in", null);
            progress.source("stdin → " + dst);
            send(dst, null, out -> stdin.transferTo(out));
            return;
        }
        if (sources.contains("-")) throw RpcException.invalid("- (a tar on stdin) must be the only source");
        for (String s : sources) {
            Path p = Path.of(s);
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) throw RpcException.notFound("no such file or directory: " + s);
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !recursive) throw RpcException.invalid(s + " is a directory (use -r)");
        }
        // Several sources, or a destination written as a directory ("VM:/dir/"): it must be one; else the
        // one source may land under the destination's name.
        boolean intoDir = sources.size() > 1 || dst.path().endsWith("/");
        HostTarWriter writer = new HostTarWriter(err);
        long total = 0;
        for (String s : sources) total += contentBytes(Path.of(s));
        progress.begin("copy_in", total);
        for (String s : sources) {
            Path p = Path.of(s).toAbsolutePath().normalize();
            Path fileName = p.getFileName();
            if (fileName == null) throw RpcException.invalid("cannot copy / itself; name a path under it");
            String name = fileName.toString();
            progress.source(s + " → " + dst);
            send(dst, intoDir ? null : name, out -> writer.write(p, name, out));
        }
    }

    /** Guest → host. {@code dst} a host path or "-" (the guest's tar on stdout). */
    void copyOut(List<GuestPath> sources, String dst, boolean recursive, OutputStream stdout) throws IOException {
        if (dst.equals("-")) {
            progress.begin("copy_out", null);   // the guest's size is not asked for: that would be a second exec
            for (GuestPath src : sources) {
                progress.source(src + " → stdout");
                receive(src, recursive, in -> in.transferTo(stdout));
            }
            stdout.flush();
            return;
        }
        Path d = Path.of(dst).toAbsolutePath().normalize();
        boolean isDir = Files.isDirectory(d);   // following a symlink: the user named it as the destination
        if (!isDir && (sources.size() > 1 || dst.endsWith("/"))) throw RpcException.notFound("no such directory: " + dst);
        Path root = isDir ? d : d.getParent();
        if (root == null || !Files.isDirectory(root)) throw RpcException.notFound("no such directory: " + (root == null ? dst : root));
        String rename = isDir ? null : d.getFileName().toString();
        progress.begin("copy_out", null);
        for (GuestPath src : sources) {
            progress.source(src + " → " + dst);
            receive(src, recursive, in -> new HostTarUnpacker(root, rename, err).unpack(in));
        }
    }

    @FunctionalInterface
    interface TarSource {
        void writeTo(OutputStream out) throws IOException;
    }

    @FunctionalInterface
    interface TarSink {
        void readFrom(InputStream in) throws IOException;
    }

    private void send(GuestPath dst, String name, TarSource source) throws IOException {
        RpcClient.Call call = client.start(Methods.VM_CP_IN.name(), new VmCpInParams(dst.vm(), dst.path(), name), (n, p) -> { });
        LongNode id = LongNode.valueOf(call.id());
        Base64.Encoder enc = Base64.getEncoder();
        // Chunks go out as exec.stdin notifications; a notify blocks while bangerd cannot take more (back-pressure).
        OutputStream chunks = new OutputStream() {
            private final byte[] buf = new byte[CHUNK];
            private int len;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int n) throws IOException {
                while (n > 0) {
                    if (call.result().isDone()) throw new CallEnded();
                    int k = Math.min(n, buf.length - len);
                    System.arraycopy(b, off, buf, len, k);
                    len += k;
                    off += k;
                    n -= k;
                    if (len == buf.length) flush();
                }
            }

            @Override
            public void flush() throws IOException {
                if (len == 0) return;
                client.notify(Notifications.EXEC_STDIN.name(), new ExecStdin(id, enc.encodeToString(java.util.Arrays.copyOf(buf, len))));
                progress.add(len);
                len = 0;
            }
        };
        try {
            source.writeTo(chunks);
            chunks.flush();
            client.notify(Notifications.EXEC_STDIN_CLOSE.name(), new ExecStdinClose(id));
        } catch (CallEnded e) {
            // the guest's side failed early: its answer below says why
        }
        progress.done();
        await(call);
    }

    private void receive(GuestPath src, boolean recursive, TarSink sink) throws IOException {
        // The tar arrives on the RPC reader thread; a pipe hands it to this thread, which writes the files.
        // Blocking the reader when the pipe is full is the back-pressure: bangerd's socket fills, then its session.
        PipedInputStream in = new PipedInputStream(4 << 20);
        PipedOutputStream pipe = new PipedOutputStream(in);
        Base64.Decoder b64 = Base64.getDecoder();
        RpcClient.Call call = client.start(Methods.VM_CP_OUT.name(), new VmCpOutParams(src.vm(), src.path(), recursive), (n, p) -> {
            if (!n.equals(Notifications.EXEC_OUTPUT.name())) return;
            try {
                ExecOutput chunk = Notifications.EXEC_OUTPUT.decode(p);
                byte[] data = b64.decode(chunk.data());
                pipe.write(data);
                progress.add(data.length);
            } catch (IOException e) {
                // the unpacker stopped (it failed): the rest of the stream has nowhere to go
            }
        });
        CompletableFuture<Void> closer = call.result().handle((r, t) -> {
            try {
                pipe.close();
            } catch (IOException ignored) {
                // already closed
            }
            return null;
        });
        IOException failure = null;
        try {
            sink.readFrom(in);
            in.transferTo(OutputStream.nullOutputStream());   // trailing padding after the tar's end
        } catch (IOException e) {
            failure = e;
            in.close();
        }
        closer.join();
        progress.done();
        // The guest's error (missing path, a directory without -r) explains a short tar better than the tar reader.
        await(call);
        if (failure != null) throw failure;
    }

    private static VmCpResult await(RpcClient.Call call) throws IOException {
        try {
            return Methods.VM_CP_IN.decodeResult(call.result().get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RpcException(RpcErrors.CANCELLED, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RpcException re) throw re;
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    private static final class CallEnded extends IOException {
        CallEnded() {
            super("the copy ended on the guest's side");
        }
    }

    /**
     * The bytes a source's tar carries, near enough for a bar: its regular files' sizes (headers and
     * padding make the tar a little larger, so the bar may stop just short of full before the stage ends).
     */
    static long contentBytes(Path source) throws IOException {
        if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            return Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS) ? Files.size(source) : 0;
        }
        long[] total = {0};
        Files.walkFileTree(source, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) total[0] += attrs.size();
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
                return java.nio.file.FileVisitResult.CONTINUE;   // the writer reports what it cannot read
            }
        });
        return total[0];
    }

    /**
     * A copy as one progress stage ({@code copy_in} / {@code copy_out}) with its bytes over every source,
     * the source being copied as its detail, drawn by the same view as a daemon's long calls: the live
     * line's bar (against the sources' size, when known), rate and ETA on a terminal. A byte figure goes
     * out at most once a second, as the daemon's downloads do (a plain line each).
     */
    static final class CopyMeter {
        private static final long NOTE_NANOS = 1_000_000_000L;
        private final Progress progress;
        private final long start = System.nanoTime();
        private String stage;
        private String detail;
        private Long total;
        private long bytes;
        private long lastNote;

        CopyMeter(Progress progress) {
            this.progress = progress;
        }

        synchronized void begin(String stage, Long total) {
            this.stage = stage;
            this.total = total;
        }

        synchronized void source(String detail) {
            this.detail = detail;
            note();
        }

        synchronized void add(long n) {
            bytes += n;
            if (System.nanoTime() - lastNote >= NOTE_NANOS) note();
        }

        /** A source is copied: the figure so far (the stage itself ends when the view closes). */
        synchronized void done() {
            if (stage != null) note();
        }

        private void note() {
            lastNote = System.nanoTime();
            progress.report(new ProgressNote(null, stage, detail, (lastNote - start) / 1_000_000, null, null, bytes,
                    total == null ? -1L : Math.max(total, bytes)));
        }
    }
}
