package dev.banger.roothelper.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Asks a server one local question over UDP: any answer within the timeout means it is serving. */
public final class Probe {
    static final int TIMEOUT_MILLIS = 500;
    private static final Name QUESTION = Name.fromConstantString("banger-probe." + DnsZone.DOMAIN + ".");

    private Probe() { }

    public static boolean answers(InetSocketAddress server) {
        byte[] query = Message.newQuery(Record.newRecord(QUESTION, Type.A, DClass.IN)).toWire();
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.send(new DatagramPacket(query, query.length, server));
            DatagramPacket reply = new DatagramPacket(new byte[512], 512);
            socket.receive(reply);
            return reply.getLength() >= 12 && reply.getData()[0] == query[0] && reply.getData()[1] == query[1];
        } catch (IOException e) {
            return false;
        }
    }
}
