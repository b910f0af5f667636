package dev.banger.roothelper.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The "internet" resolver of the tests: answers {@code outside.test} A {@code 192.0.2.7} over UDP and
 * TCP, NXDOMAIN for anything else, and counts the queries it saw. Run in process, or as a process of
 * its own inside the uplink namespace ({@code main ADDRESS PORT}).
 */
public final class UpstreamStub implements AutoCloseable {
    static final Name OUTSIDE = Name.fromConstantString("outside.test.");
    static final String OUTSIDE_ADDRESS = "192.0.2.7";

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    final AtomicInteger queries = new AtomicInteger();

    UpstreamStub(InetSocketAddress address) throws IOException {
        udp = new DatagramSocket(address);
        tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(address.getAddress(), udp.getLocalPort()));
        Thread.ofPlatform().daemon().start(this::serveUdp);
        Thread.ofPlatform().daemon().start(this::serveTcp);
    }

    public static void main(String[] args) throws Exception {
        try (UpstreamStub stub = new UpstreamStub(new InetSocketAddress(InetAddress.getByName(args[0]), Integer.parseInt(args[1])))) {
            System.out.println("serving " + stub.address());
            System.out.flush();
            Thread.currentThread().join();
        }
    }

    InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    static byte[] answer(byte[] wire) throws IOException {
        Message query = new Message(wire);
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RA);
        response.addRecord(query.getQuestion(), Section.QUESTION);
        if (query.getQuestion().getName().equals(OUTSIDE) && query.getQuestion().getType() == Type.A) {
            response.addRecord(new ARecord(OUTSIDE, DClass.IN, 60, InetAddress.getByName(OUTSIDE_ADDRESS)), Section.ANSWER);
        } else {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
        }
        return response.toWire();
    }

    private void serveUdp() {
        while (!udp.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(new byte[4096], 4096);
                udp.receive(packet);
                queries.incrementAndGet();
                byte[] reply = answer(Arrays.copyOf(packet.getData(), packet.getLength()));
                udp.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
            } catch (IOException e) {
                // closed, or a malformed query: next one
            }
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try (Socket socket = tcp.accept()) {
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] query = in.readNBytes(in.readUnsignedShort());
                queries.incrementAndGet();
                byte[] reply = answer(query);
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.writeShort(reply.length);
                out.write(reply);
                out.flush();
            } catch (IOException e) {
                // closed, or a broken connection: next one
            }
        }
    }

    @Override
    public void close() throws IOException {
        udp.close();
        tcp.close();
    }
}
