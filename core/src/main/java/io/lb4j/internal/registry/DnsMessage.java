package io.lb4j.internal.registry;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A DNS message (RFC 1035 section 4) and its wire codec: header, questions and the three record
 * sections, with name compression both ways (section 4.1.4), A, AAAA (RFC 3596) and SRV (RFC 2782)
 * data decoded and anything else carried as opaque bytes. Written here because the JDK's resolver is
 * blocking, knows no SRV and ignores TTLs; the decoder treats every byte as hostile and fails with a
 * {@link DnsFormatException}, never with another exception.
 *
 * @param id query identifier, 0–65535
 * @param flags the header's second 16 bits (QR, opcode, AA, TC, RD, RA, Z, RCODE)
 * @param questions the question section
 * @param answers the answer section
 * @param authorities the authority section
 * @param additionals the additional section
 */
public record DnsMessage(int id, int flags, List<Question> questions, List<Record> answers,
                         List<Record> authorities, List<Record> additionals) {

    /** Type A: an IPv4 address. */
    public static final int A = 1;
    /** Type CNAME. */
    public static final int CNAME = 5;
    /** Type AAAA: an IPv6 address. */
    public static final int AAAA = 28;
    /** Type SRV: a service location. */
    public static final int SRV = 33;
    /** Class IN. */
    public static final int IN = 1;
    /** Flag: this is a response. */
    public static final int FLAG_QR = 0x8000;
    /** Flag: the answer was truncated (retry over TCP). */
    public static final int FLAG_TC = 0x0200;
    /** Flag: recursion desired. */
    public static final int FLAG_RD = 0x0100;
    /** RCODE: no error. */
    public static final int NOERROR = 0;
    /** RCODE: the name does not exist. */
    public static final int NXDOMAIN = 3;

    private static final int MAX_NAME_BYTES = 255;
    private static final int MAX_LABEL_BYTES = 63;

    /** Checks ranges and copies the lists. */
    public DnsMessage {
        check("id", id, 0xFFFF);
        check("flags", flags, 0xFFFF);
        questions = List.copyOf(questions);
        answers = List.copyOf(answers);
        authorities = List.copyOf(authorities);
        additionals = List.copyOf(additionals);
        for (List<?> section : List.of(questions, answers, authorities, additionals)) {
            if (section.size() > 0xFFFF) {
                throw new IllegalArgumentException("section: " + section.size() + " entries (expected: <= 65535)");
            }
        }
    }

    /** A standard query for {@code name} of {@code type}, class IN, recursion desired. */
    public static DnsMessage query(int id, String name, int type) {
        return new DnsMessage(id, FLAG_RD, List.of(new Question(name, type, IN)), List.of(), List.of(), List.of());
    }

    /** The response code (low 4 bits of the flags). */
    public int rcode() {
        return flags & 0xF;
    }

    /** Whether the TC bit is set. */
    public boolean truncated() {
        return (flags & FLAG_TC) != 0;
    }

    /** Whether the QR bit is set. */
    public boolean response() {
        return (flags & FLAG_QR) != 0;
    }

    /**
     * One question.
     *
     * @param name dotted, without the trailing dot; "" is the root
     * @param type record type
     * @param dnsClass record class
     */
    public record Question(String name, int type, int dnsClass) {
        /** Checks the name and ranges. */
        public Question {
            checkName(name);
            check("type", type, 0xFFFF);
            check("class", dnsClass, 0xFFFF);
        }
    }

    /**
     * One resource record.
     *
     * @param name owner name, dotted, without the trailing dot
     * @param type record type; must agree with {@code data}
     * @param dnsClass record class
     * @param ttl seconds, 0 to 2^32-1 as on the wire
     * @param data the decoded data
     */
    public record Record(String name, int type, int dnsClass, long ttl, Data data) {
        /** Checks the name, ranges and that {@code data} fits {@code type}. */
        public Record {
            checkName(name);
            check("type", type, 0xFFFF);
            check("class", dnsClass, 0xFFFF);
            if (ttl < 0 || ttl > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("ttl: " + ttl + " (expected: 0-4294967295)");
            }
            Objects.requireNonNull(data, "data");
            boolean fits = type == A ? data instanceof Address && ((Address) data).address().getAddress().length == 4
                    : type == AAAA ? data instanceof Address && ((Address) data).address().getAddress().length == 16
                    : type == SRV ? data instanceof Srv
                    : data instanceof Opaque;
            if (!fits) {
                throw new IllegalArgumentException("data: " + data + " (expected: data of type " + type + ")");
            }
        }
    }

    /** Record data. */
    public sealed interface Data permits Address, Srv, Opaque {
    }

    /**
     * A or AAAA data.
     *
     * @param address 4 or 16 bytes
     */
    public record Address(InetAddress address) implements Data {
        /** Checks for null. */
        public Address {
            Objects.requireNonNull(address, "address");
        }
    }

    /**
     * SRV data (RFC 2782).
     *
     * @param priority lower is preferred, 0–65535
     * @param weight share among the same priority, 0–65535
     * @param port 0–65535
     * @param target host name; "" ('.') means the service is not offered
     */
    public record Srv(int priority, int weight, int port, String target) implements Data {
        /** Checks ranges and the target name. */
        public Srv {
            check("priority", priority, 0xFFFF);
            check("weight", weight, 0xFFFF);
            check("port", port, 0xFFFF);
            checkName(target);
        }
    }

    /**
     * Data of any other type, kept as the bytes on the wire (any names in it uncompressed as received).
     *
     * @param bytes at most 65535
     */
    public record Opaque(byte[] bytes) implements Data {
        /** Copies the bytes. */
        public Opaque {
            if (bytes.length > 0xFFFF) {
                throw new IllegalArgumentException("data: " + bytes.length + " bytes (expected: <= 65535)");
            }
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Opaque && Arrays.equals(bytes, ((Opaque) o).bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Opaque[" + bytes.length + " bytes]";
        }
    }

    // ---------------------------------------------------------------- encoding

    /**
     * The wire form, names compressed against earlier ones (SRV targets too: RFC 2782 forbids it,
     * but every decoder, ours included, accepts it; it is never larger).
     *
     * @throws IllegalArgumentException when the message exceeds 65535 bytes
     */
    public byte[] encode() {
        Writer w = new Writer(); // compression keys are case-sensitive, so a name decodes exactly as it was given
        w.u16(id);
        w.u16(flags);
        w.u16(questions.size());
        w.u16(answers.size());
        w.u16(authorities.size());
        w.u16(additionals.size());
        for (Question q : questions) {
            w.name(q.name());
            w.u16(q.type());
            w.u16(q.dnsClass());
        }
        for (List<Record> section : List.of(answers, authorities, additionals)) {
            for (Record r : section) {
                w.name(r.name());
                w.u16(r.type());
                w.u16(r.dnsClass());
                w.u32(r.ttl());
                int lengthAt = w.size;
                w.u16(0);
                Data d = r.data();
                if (d instanceof Address) {
                    w.bytes(((Address) d).address().getAddress());
                } else if (d instanceof Srv) {
                    Srv s = (Srv) d;
                    w.u16(s.priority());
                    w.u16(s.weight());
                    w.u16(s.port());
                    w.name(s.target());
                } else {
                    w.bytes(((Opaque) d).bytes);
                }
                int length = w.size - lengthAt - 2;
                if (length > 0xFFFF) {
                    throw new IllegalArgumentException("record data: " + length + " bytes (expected: <= 65535)");
                }
                w.buf[lengthAt] = (byte) (length >>> 8);
                w.buf[lengthAt + 1] = (byte) length;
            }
        }
        if (w.size > 0xFFFF) {
            throw new IllegalArgumentException("message: " + w.size + " bytes (expected: <= 65535)");
        }
        return Arrays.copyOf(w.buf, w.size);
    }

    private static final class Writer {
        byte[] buf = new byte[512];
        int size;
        final Map<String, Integer> suffixes = new HashMap<>();

        void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }

        void u16(int v) {
            ensure(2);
            buf[size++] = (byte) (v >>> 8);
            buf[size++] = (byte) v;
        }

        void u32(long v) {
            u16((int) (v >>> 16) & 0xFFFF);
            u16((int) v & 0xFFFF);
        }

        void bytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }

        void name(String name) {
            String[] labels = name.isEmpty() ? new String[0] : name.split("\\.", -1);
            for (int i = 0; i < labels.length; i++) {
                String suffix = String.join(".", Arrays.copyOfRange(labels, i, labels.length));
                Integer at = suffixes.get(suffix);
                if (at != null) {
                    u16(0xC000 | at);
                    return;
                }
                if (size < 0x4000) {
                    suffixes.put(suffix, size);
                }
                byte[] label = labels[i].getBytes(StandardCharsets.ISO_8859_1);
                ensure(1);
                buf[size++] = (byte) label.length;
                bytes(label);
            }
            ensure(1);
            buf[size++] = 0;
        }
    }

    // ---------------------------------------------------------------- decoding

    /**
     * Parses a whole message; trailing bytes are refused.
     *
     * @throws DnsFormatException when it is malformed
     */
    public static DnsMessage decode(byte[] wire) throws DnsFormatException {
        Reader r = new Reader(wire);
        int id = r.u16();
        int flags = r.u16();
        int qd = r.u16();
        int an = r.u16();
        int ns = r.u16();
        int ar = r.u16();
        List<Question> questions = new ArrayList<>();
        for (int i = 0; i < qd; i++) {
            String name = r.name();
            int type = r.u16();
            int cls = r.u16();
            questions.add(new Question(name, type, cls));
        }
        List<Record> answers = r.records(an);
        List<Record> authorities = r.records(ns);
        List<Record> additionals = r.records(ar);
        if (r.pos != wire.length) {
            throw new DnsFormatException((wire.length - r.pos) + " bytes after the last record");
        }
        return new DnsMessage(id, flags, questions, answers, authorities, additionals);
    }

    private static final class Reader {
        final byte[] wire;
        int pos;

        Reader(byte[] wire) {
            this.wire = wire;
        }

        void need(int n, String what) throws DnsFormatException {
            if (pos + n > wire.length) {
                throw new DnsFormatException("truncated in " + what + " at byte " + pos);
            }
        }

        int u8At(int at) {
            return wire[at] & 0xFF;
        }

        int u16() throws DnsFormatException {
            need(2, "a 16-bit field");
            int v = (u8At(pos) << 8) | u8At(pos + 1);
            pos += 2;
            return v;
        }

        long u32() throws DnsFormatException {
            long high = u16();
            return (high << 16) | u16();
        }

        /** Reads a name at {@code pos}; pointers must point strictly backwards, so decoding ends. */
        String name() throws DnsFormatException {
            StringBuilder out = new StringBuilder();
            int at = pos;
            int limit = pos; // a pointer must go below this
            boolean jumped = false;
            int wireBytes = 1;
            while (true) {
                if (at >= wire.length) {
                    throw new DnsFormatException("truncated in a name at byte " + at);
                }
                int len = u8At(at);
                if ((len & 0xC0) == 0xC0) {
                    if (at + 1 >= wire.length) {
                        throw new DnsFormatException("truncated in a name pointer at byte " + at);
                    }
                    int target = ((len & 0x3F) << 8) | u8At(at + 1);
                    if (!jumped) {
                        pos = at + 2;
                        jumped = true;
                    }
                    if (target >= limit) {
                        throw new DnsFormatException("name pointer at byte " + at + " does not point backwards");
                    }
                    limit = target;
                    at = target;
                    continue;
                }
                if ((len & 0xC0) != 0) {
                    throw new DnsFormatException("unknown label type at byte " + at);
                }
                if (len == 0) {
                    if (!jumped) {
                        pos = at + 1;
                    }
                    return out.toString();
                }
                if (at + 1 + len > wire.length) {
                    throw new DnsFormatException("truncated in a label at byte " + at);
                }
                wireBytes += len + 1;
                if (wireBytes > MAX_NAME_BYTES) {
                    throw new DnsFormatException("name longer than 255 bytes at byte " + at);
                }
                if (out.length() > 0) {
                    out.append('.');
                }
                for (int i = at + 1; i <= at + len; i++) {
                    char c = (char) u8At(i);
                    if (c == '.') {
                        throw new DnsFormatException("label with a '.' at byte " + at);
                    }
                    out.append(c);
                }
                at += 1 + len;
            }
        }

        List<Record> records(int count) throws DnsFormatException {
            List<Record> list = new ArrayList<>(Math.min(count, 64));
            for (int i = 0; i < count; i++) {
                String name = name();
                int type = u16();
                int cls = u16();
                long ttl = u32();
                int length = u16();
                need(length, "record data");
                int end = pos + length;
                Data data;
                if (type == A || type == AAAA) {
                    int size = type == A ? 4 : 16;
                    if (length != size) {
                        throw new DnsFormatException("address record of " + length + " bytes (expected: " + size + ")");
                    }
                    data = new Address(address(Arrays.copyOfRange(wire, pos, end)));
                    pos = end;
                } else if (type == SRV) {
                    if (length < 7) {
                        throw new DnsFormatException("SRV record of " + length + " bytes (expected: >= 7)");
                    }
                    int priority = u16();
                    int weight = u16();
                    int port = u16();
                    Reader inner = new Reader(Arrays.copyOf(wire, end));
                    inner.pos = pos;
                    String target = inner.name();
                    if (inner.pos != end) {
                        throw new DnsFormatException("SRV record data does not end with its target");
                    }
                    data = new Srv(priority, weight, port, target);
                    pos = end;
                } else {
                    data = new Opaque(Arrays.copyOfRange(wire, pos, end));
                    pos = end;
                }
                list.add(new Record(name, type, cls, ttl, data));
            }
            return list;
        }
    }

    private static InetAddress address(byte[] raw) throws DnsFormatException {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new DnsFormatException("address of " + raw.length + " bytes");
        }
    }

    private static void check(String what, long value, long max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(what + ": " + value + " (expected: 0-" + max + ")");
        }
    }

    private static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            return;
        }
        String[] labels = name.split("\\.", -1);
        int wire = 1;
        for (String label : labels) {
            int length = label.length();
            if (length == 0 || length > MAX_LABEL_BYTES) {
                throw new IllegalArgumentException("name: '" + name + "' (expected: labels of 1-63 characters)");
            }
            for (int i = 0; i < length; i++) {
                if (label.charAt(i) > 0xFF) {
                    throw new IllegalArgumentException("name: '" + name + "' (expected: 8-bit characters)");
                }
            }
            wire += length + 1;
        }
        if (wire > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: at most 255 bytes on the wire)");
        }
    }
}
