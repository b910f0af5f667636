package dev.banger.roothelper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A JDK-only client the tests run as another uid ({@code setpriv --reuid}): sends one line, prints
 * the response line. No dependencies, so it runs from target/test-classes alone.
 */
public final class LineClient {
    public static void main(String[] args) throws Exception {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(Path.of(args[0])));
            try {
                channel.write(ByteBuffer.wrap((args[1] + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (java.io.IOException e) {
                // A refused peer's line was answered and the connection closed before the write: read the answer.
            }
            String line = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8)).readLine();
            System.out.println(line);
        }
    }
}
