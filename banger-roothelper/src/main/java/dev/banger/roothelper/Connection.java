package dev.banger.roothelper;

import dev.banger.roothelper.api.ErrorCode;
import dev.banger.roothelper.api.HelperException;
import dev.banger.roothelper.api.HelperRequest;
import dev.banger.roothelper.api.HelperResponse;
import dev.banger.roothelper.api.HelperWire;
import dev.banger.roothelper.api.RootOperations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One peer: check who it is, then answer its request lines in order, one response line each. */
final class Connection implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    private final SocketChannel channel;
    private final PeerCheck peers;
    private final RootOperations operations;
    private final AuditLog audit;

    Connection(SocketChannel channel, PeerCheck peers, RootOperations operations, AuditLog audit) {
        this.channel = channel;
        this.peers = peers;
        this.operations = operations;
        this.audit = audit;
    }

    @Override
    public void run() {
        try (channel) {
            PeerCheck.Peer peer = peers.check(channel);
            if (!peer.served()) {
                String message = "uid " + peer.uid() + " is not served by this helper (only its owner and root are)";
                audit.call(peer.uid(), "-", "-", ErrorCode.FORBIDDEN.wireName(), message, Duration.ZERO);
                LOG.warn("refused a connection from uid {}", AuditLog.oneLine(peer.uid()));
                respond(HelperResponse.error(ErrorCode.FORBIDDEN, message));
                return;
            }
            serve(peer);
        } catch (IOException e) {
            LOG.debug("connection ended: {}", e.toString());
        }
    }

    private void serve(PeerCheck.Peer peer) throws IOException {
        RequestLines lines = new RequestLines(Channels.newInputStream(channel), HelperWire.MAX_REQUEST_BYTES);
        for (RequestLines.Line line = lines.next(); line != null; line = lines.next()) {
            long start = System.nanoTime();
            switch (line) {
                case RequestLines.TooLong tooLong -> {
                    String message = "request line longer than " + tooLong.limit() + " bytes; connection closed";
                    audit.call(peer.uid(), "-", "-", ErrorCode.TOO_LARGE.wireName(), message, Duration.ofNanos(System.nanoTime() - start));
                    respond(HelperResponse.error(ErrorCode.TOO_LARGE, message));
                    return;
                }
                case RequestLines.NotUtf8 notUtf8 -> respond(refuse(peer, start, new HelperException(ErrorCode.INVALID_REQUEST, "request is not UTF-8")));
                case RequestLines.Text text -> respond(call(peer, start, text.text()));
            }
        }
    }

    private HelperResponse call(PeerCheck.Peer peer, long start, String line) {
        HelperRequest request;
        try {
            request = HelperWire.decodeRequest(line);
        } catch (HelperException e) {
            return refuse(peer, start, e);
        }
        HelperResponse response;
        try {
            response = HelperResponse.ok(HelperWire.toTree(RootOperations.apply(operations, request)));
        } catch (HelperException e) {
            response = HelperResponse.error(e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("{} failed", HelperRequest.opName(request), e);
            response = HelperResponse.error(ErrorCode.FAILED, e.toString());
        }
        audit.call(peer.uid(), HelperRequest.opName(request), HelperWire.arguments(request), response.code().wireName(),
                response.message(), Duration.ofNanos(System.nanoTime() - start));
        return response;
    }

    private HelperResponse refuse(PeerCheck.Peer peer, long start, HelperException e) {
        audit.call(peer.uid(), "-", "-", e.code().wireName(), e.getMessage(), Duration.ofNanos(System.nanoTime() - start));
        return HelperResponse.error(e.code(), AuditLog.oneLine(e.getMessage()));
    }

    private void respond(HelperResponse response) {
        ByteBuffer out = ByteBuffer.wrap((HelperWire.encodeResponse(response) + "\n").getBytes(StandardCharsets.UTF_8));
        try {
            while (out.hasRemaining()) {
                channel.write(out);
            }
        } catch (IOException e) {
            LOG.debug("peer went away before its response: {}", e.toString());
        }
    }
}
