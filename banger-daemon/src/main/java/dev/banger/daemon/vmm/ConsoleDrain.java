package dev.banger.daemon.vmm;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a guest's serial console from QEMU's console socket into its {@link ConsoleLog}, on a
 * virtual thread, until QEMU closes the socket (the VM is gone) or {@link #close} is called.
 *
 * <p>QEMU serves the serial port as a Unix socket ({@code server=on,wait=off}) rather than writing
 * a file itself, because a file chardev cannot be capped. QEMU 7.2 drops console output while no
 * client is connected instead of blocking the guest (measured: a guest printing ~90 lines/s kept
 * its pace, and the lines written while nobody was connected never arrived). So output written
 * while bangerd is down is lost, and bangerd reconnects when it reconciles a running VM.
 */
public final class ConsoleDrain implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleDrain.class);
    private static final Duration CONNECT_BUDGET = Duration.ofSeconds(5);

    private final SocketChannel channel;
    private final ConsoleLog log;
    private final Thread thread;

    private ConsoleDrain(SocketChannel channel, ConsoleLog log, String name) {
        this.channel = channel;
        this.log = log;
        this.thread = Thread.ofVirtual().name("console-" + name).unstarted(this::pump);
    }

    /** Connects to socket (retrying briefly while QEMU starts listening) and starts copying into the capped log. */
    public static ConsoleDrain start(Path socket, Path logFile, long maxBytes, boolean fresh, String name)
            throws IOException, InterruptedException {
        SocketChannel ch = connect(socket);
        ConsoleLog log;
        try {
            log = ConsoleLog.open(logFile, maxBytes, fresh);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        ConsoleDrain d = new ConsoleDrain(ch, log, name);
        d.thread.start();
        return d;
    }

    private static SocketChannel connect(Path socket) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + CONNECT_BUDGET.toNanos();
        while (true) {
            try {
                return SocketChannel.open(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                if (System.nanoTime() > deadline) throw new IOException("cannot connect to the console socket " + socket + ": " + e.getMessage(), e);
                Thread.sleep(20);
            }
        }
    }

    private void pump() {
        ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        try (channel; log) {
            while (channel.read(buf) >= 0) {
                log.append(buf.array(), 0, buf.position());
                buf.clear();
            }
        } catch (IOException e) {
            if (channel.isOpen()) LOG.warn("console of {} stopped: {}", thread.getName(), e.toString());
        }
    }

    /** True while copying (QEMU has not closed the console). */
    public boolean running() {
        return thread.isAlive();
    }

    /** Stops copying; what was read so far is in the log. */
    @Override
    public void close() throws IOException {
        channel.close();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for QEMU to close the console (tests). */
    public boolean awaitEnd(Duration timeout) throws InterruptedException {
        return thread.join(timeout);
    }
}
