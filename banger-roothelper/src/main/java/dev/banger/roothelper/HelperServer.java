package dev.banger.roothelper;

import dev.banger.roothelper.api.RootOperations;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The helper's Unix socket: mode 0660, group = the owner's group, so the owner (and root) can
 * connect; every connection is still checked by uid ({@link PeerCheck}). Each connection is served
 * on its own virtual thread; the operations serialize themselves.
 */
final class HelperServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HelperServer.class);

    private final ServerSocketChannel server;
    private final Path socket;
    private final PeerCheck peers;
    private final RootOperations operations;
    private final AuditLog audit = new AuditLog();

    private HelperServer(ServerSocketChannel server, Path socket, PeerCheck peers, RootOperations operations) {
        this.server = server;
        this.socket = socket;
        this.peers = peers;
        this.operations = operations;
    }

    static HelperServer bind(Path socket, int ownerUid, int ownerGid, RootOperations operations) throws IOException {
        removeStaleSocket(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            // Until these two lines the socket has the process umask's mode (the launcher sets 077): root only.
            PosixFileAttributeView view = Files.getFileAttributeView(socket, PosixFileAttributeView.class);
            GroupPrincipal group = socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(Integer.toString(ownerGid));
            view.setGroup(group);
            view.setPermissions(PosixFilePermissions.fromString("rw-rw----"));
            return new HelperServer(server, socket, new PeerCheck(ownerUid), operations);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** A socket file nobody answers on is a leftover of a killed helper; one that answers means a helper is running. */
    private static void removeStaleSocket(Path socket) throws IOException {
        if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (answers(socket)) {
            throw new IOException("another helper is already serving " + socket);
        }
        Files.delete(socket);
    }

    private static boolean answers(Path socket) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Accepts until closed. */
    void serve() throws IOException {
        while (true) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException e) {
                return;
            }
            Thread.ofVirtual().name("helper-conn").start(new Connection(channel, peers, operations, audit));
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
        LOG.info("stopped serving {}", socket);
    }
}
