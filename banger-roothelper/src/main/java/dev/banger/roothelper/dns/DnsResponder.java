package dev.banger.roothelper.dns;

import dev.banger.roothelper.api.DnsRecord;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Optional;
import java.util.function.Supplier;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * One query in, one answer out: {@code <name>.vm} from the zone (A records; NXDOMAIN for an unknown
 * name; no data for other types), everything else forwarded upstream (SERVFAIL when no upstream
 * answers). Transport-free, so the tests drive it without sockets too.
 */
public final class DnsResponder {
    /** Short: records change with every VM state change, and a stale answer outlives a removed VM. */
    static final long TTL_SECONDS = 5;
    /** The classic UDP limit, used when the query carries no EDNS payload size. */
    static final int PLAIN_UDP_BYTES = 512;
    /** The EDNS payload we accept and advertise (the DNS flag day 2020 value, safe from fragmentation). */
    static final int EDNS_UDP_BYTES = 1232;
    static final int TCP_BYTES = 65535;
    private static final Name DOMAIN = Name.fromConstantString(DnsZone.DOMAIN + ".");

    private final Supplier<DnsZone> zone;
    private final Upstreams upstreams;

    public DnsResponder(Supplier<DnsZone> zone, Upstreams upstreams) {
        this.zone = zone;
        this.upstreams = upstreams;
    }

    /** The wire answer to {@code wire}, or empty when it is not even a DNS header (dropped, as resolvers do). */
    Optional<byte[]> answer(byte[] wire, boolean tcp) {
        Message query;
        try {
            query = new Message(wire);
        } catch (IOException e) {
            return formatError(wire);
        }
        if (query.getHeader().getFlag(Flags.QR)) {
            return Optional.empty(); // a response sent to us: never answer it (reflection loops)
        }
        Message response = respond(query, tcp);
        return Optional.of(response.toWire(maxBytes(query, tcp)));
    }

    Message respond(Message query, boolean tcp) {
        Record question = query.getQuestion();
        if (query.getHeader().getOpcode() != Opcode.QUERY) {
            return reply(query, Rcode.NOTIMP);
        }
        if (question == null || query.getSectionArray(Section.QUESTION).length != 1) {
            return reply(query, Rcode.FORMERR);
        }
        Name name = question.getName();
        if (name.subdomain(DOMAIN)) {
            return local(query, question);
        }
        Optional<Message> forwarded = upstreams.forward(query, tcp);
        if (forwarded.isEmpty()) {
            return reply(query, Rcode.SERVFAIL);
        }
        Message answer = forwarded.get();
        answer.getHeader().setID(query.getHeader().getID());
        return answer;
    }

    private Message local(Message query, Record question) {
        Name name = question.getName();
        if (name.labels() == DOMAIN.labels()) {
            return reply(query, Rcode.NOERROR); // "vm." itself exists (it holds the VMs) but has no address
        }
        Optional<DnsRecord> record = name.labels() == DOMAIN.labels() + 1
                ? zone.get().lookup(name.getLabelString(0)) : Optional.empty();
        if (record.isEmpty()) {
            return reply(query, Rcode.NXDOMAIN);
        }
        Message response = reply(query, Rcode.NOERROR);
        if (question.getDClass() == DClass.IN && (question.getType() == Type.A || question.getType() == Type.ANY)) {
            response.addRecord(new ARecord(name, DClass.IN, TTL_SECONDS, address(record.get().address())), Section.ANSWER);
        }
        return response;
    }

    /** An answer of our own: the question echoed, authoritative for .vm, recursion available (we forward). */
    private static Message reply(Message query, int rcode) {
        Message response = new Message(query.getHeader().getID());
        Header header = response.getHeader();
        header.setFlag(Flags.QR);
        header.setOpcode(query.getHeader().getOpcode());
        if (query.getHeader().getFlag(Flags.RD)) {
            header.setFlag(Flags.RD);
        }
        header.setFlag(Flags.RA);
        header.setRcode(rcode);
        Record question = query.getQuestion();
        if (question != null) {
            response.addRecord(question, Section.QUESTION);
            if (question.getName().subdomain(DOMAIN)) {
                header.setFlag(Flags.AA);
            }
        }
        if (query.getOPT() != null) {
            response.addRecord(new OPTRecord(EDNS_UDP_BYTES, 0, 0), Section.ADDITIONAL);
        }
        return response;
    }

    /** FORMERR for a query whose header parsed but whose body did not; nothing for less than a header. */
    private static Optional<byte[]> formatError(byte[] wire) {
        if (wire.length < Header.LENGTH || (wire[2] & 0x80) != 0) {
            return Optional.empty();
        }
        Message response = new Message(((wire[0] & 0xff) << 8) | (wire[1] & 0xff));
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setRcode(Rcode.FORMERR);
        return Optional.of(response.toWire());
    }

    private static int maxBytes(Message query, boolean tcp) {
        if (tcp) {
            return TCP_BYTES;
        }
        OPTRecord opt = query.getOPT();
        return opt == null ? PLAIN_UDP_BYTES : Math.clamp(opt.getPayloadSize(), PLAIN_UDP_BYTES, EDNS_UDP_BYTES);
    }

    private static InetAddress address(String dotted) {
        try {
            return InetAddress.getByAddress(org.xbill.DNS.Address.toByteArray(dotted, org.xbill.DNS.Address.IPv4));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("a validated IPv4 address did not parse: " + dotted, e);
        }
    }
}
