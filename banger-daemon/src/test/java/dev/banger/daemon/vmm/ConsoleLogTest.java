package dev.banger.daemon.vmm;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleLogTest {
    private static final long MAX = 64 << 10;

    @TempDir
    Path tmp;

    private static byte[] numberedLines(int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) sb.append("line ").append(i).append('\n');
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static String both(Path log) throws Exception {
        Path older = ConsoleLog.previousOf(log);
        return (Files.exists(older) ? Files.readString(older) : "") + Files.readString(log);
    }

    @Test
    void aGuestThatWritesToItsConsoleForeverKeepsOnlyTheNewestMaxBytes() throws Exception {
        Path log = tmp.resolve("console.log");
        byte[] all = numberedLines(100_000);   // ~1.1 MiB, 17 times the cap
        assertThat((long) all.length).isGreaterThan(10 * MAX);
        Random random = new Random(1);
        try (ConsoleLog c = ConsoleLog.open(log, MAX, true)) {
            for (int off = 0; off < all.length; ) {
                int n = Math.min(all.length - off, 1 + random.nextInt(40_000));
                c.append(all, off, n);
                off += n;
                assertThat(Files.size(log) + (Files.exists(ConsoleLog.previousOf(log)) ? Files.size(ConsoleLog.previousOf(log)) : 0))
                        .isLessThanOrEqualTo(MAX);
            }
        }
        String kept = both(log);
        String written = new String(all, StandardCharsets.US_ASCII);
        assertThat(kept.length()).as("at least the newest half").isGreaterThanOrEqualTo((int) (MAX / 2));
        assertThat(written).as("the newest output, contiguous").endsWith(kept);
        assertThat(ConsoleLog.tail(log, (int) MAX)).isEqualTo(kept);
        assertThat(ConsoleLog.tail(log, 20)).isEqualTo(written.substring(written.length() - 20));
        for (Path p : new Path[] {log, ConsoleLog.previousOf(log)}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
        }
    }

    @Test
    void aReattachContinuesTheLogAndANewBootStartsIt() throws Exception {
        Path log = tmp.resolve("console.log");
        try (ConsoleLog c = ConsoleLog.open(log, MAX, true)) {
            c.append("boot 1\n".getBytes(), 0, 7);
        }
        try (ConsoleLog c = ConsoleLog.open(log, MAX, false)) {
            c.append("after restart\n".getBytes(), 0, 14);
        }
        assertThat(Files.readString(log)).isEqualTo("boot 1\nafter restart\n");
        Files.writeString(ConsoleLog.previousOf(log), "old half");
        try (ConsoleLog c = ConsoleLog.open(log, MAX, true)) {
            c.append("boot 2\n".getBytes(), 0, 7);
        }
        assertThat(ConsoleLog.previousOf(log)).doesNotExist();
        assertThat(ConsoleLog.tail(log, 1000)).isEqualTo("boot 2\n");
        assertThat(ConsoleLog.tail(tmp.resolve("absent.log"), 1000)).isEmpty();
    }

    @Test
    void theDrainCopiesEverythingTheConsoleSocketSendsIntoTheCappedLog() throws Exception {
        Path socket = tmp.resolve("vm.console");
        Path log = tmp.resolve("console.log");
        byte[] all = numberedLines(50_000);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread qemu = Thread.ofVirtual().start(() -> {
                try (SocketChannel client = server.accept()) {
                    ByteBuffer b = ByteBuffer.wrap(all);
                    while (b.hasRemaining()) client.write(b);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            ConsoleDrain drain = ConsoleDrain.start(socket, log, MAX, true, "test");
            assertThat(drain.awaitEnd(Duration.ofSeconds(20))).as("ends when the VMM closes the console").isTrue();
            qemu.join();
        }
        String written = new String(all, StandardCharsets.US_ASCII);
        String kept = both(log);
        assertThat(kept.length()).isBetween((int) (MAX / 2), (int) MAX);
        assertThat(written).endsWith(kept);
    }
}
