package dev.banger.roothelper.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** {@link RootOperations} over the helper's socket: one connection, one request line at a time. */
public final class HelperClient implements RootOperations, AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader responses;

    private HelperClient(SocketChannel channel) {
        this.channel = channel;
        this.responses = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    public static HelperClient connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new HelperClient(channel);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public BridgeInfo ensureBridge() {
        return call(new EnsureBridge(), BridgeInfo.class);
    }

    @Override
    public TapInfo createTap(String vmId) {
        return call(new CreateTap(vmId), TapInfo.class);
    }

    @Override
    public TapDeleted deleteTap(String vmId) {
        return call(new DeleteTap(vmId), TapDeleted.class);
    }

    @Override
    public NatInfo enableNat(String vmId, String guestIp) {
        return call(new EnableNat(vmId, guestIp), NatInfo.class);
    }

    @Override
    public NatDisabled disableNat(String vmId) {
        return call(new DisableNat(vmId), NatDisabled.class);
    }

    @Override
    public DnsInfo setDnsRecords(List<DnsRecord> records) {
        return call(new SetDnsRecords(records), DnsInfo.class);
    }

    @Override
    public ReconcileResult reconcile(List<String> liveVmIds) {
        return call(new Reconcile(liveVmIds), ReconcileResult.class);
    }

    @Override
    public ReconcileResult removeHostState() {
        return call(new RemoveHostState(), ReconcileResult.class);
    }

    @Override
    public HelperVersion version() {
        return call(new Version(), HelperVersion.class);
    }

    private synchronized <T> T call(HelperRequest request, Class<T> resultType) {
        HelperResponse response = HelperWire.decodeResponse(exchange(HelperWire.encodeRequest(request)));
        if (response.code() != ErrorCode.OK) {
            throw new HelperException(response.code(), response.message());
        }
        return HelperWire.fromTree(response.result(), resultType);
    }

    /** Sends one raw line and returns the response line: the typed methods' transport, and the tests' way to send malformed requests. */
    public synchronized String exchange(String line) {
        try {
            ByteBuffer out = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            try {
                while (out.hasRemaining()) {
                    channel.write(out);
                }
            } catch (IOException e) {
                // The helper answers a refused peer (or an oversize line) and closes: its one line is still there to read.
                String refusal = responses.readLine();
                if (refusal != null) {
                    return refusal;
                }
                throw e;
            }
            String response = responses.readLine();
            if (response == null) {
                throw new HelperException(ErrorCode.FAILED, "the helper closed the connection");
            }
            return response;
        } catch (IOException e) {
            throw new UncheckedIOException("root helper connection: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
