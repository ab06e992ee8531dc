package io.lb4j.internal.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lb4j.ProxyProtocol;
import io.lb4j.ProxyTlvs;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The parser reads back whatever the encoder writes, under any split, and rejects every broken header. */
class ProxyHeaderParserProperties {

    @Property(tries = 300)
    void shouldReadBackEveryEncodedHeaderWhateverFollows(@ForAll("addresses") InetSocketAddress source,
                                                         @ForAll("addresses") InetSocketAddress destination,
                                                         @ForAll boolean v2, @ForAll boolean tlvs,
                                                         @ForAll @Size(max = 40) byte[] trailing) throws Exception {
        byte[] authority = tlvs && v2 ? "svc.example".getBytes(StandardCharsets.US_ASCII) : null;
        byte[] uniqueId = tlvs && v2 ? new byte[] {7, 7, 7} : null;
        ByteBuffer out = ByteBuffer.allocate(ProxyHeader.MAX_ENCODED_BYTES + trailing.length);
        ProxyHeader.encode(v2 ? ProxyProtocol.V2 : ProxyProtocol.V1, source, destination, authority, uniqueId, out);
        int length = out.position();
        out.put(trailing).flip();
        for (int n = 0; n < length; n++) {
            assertNull(ProxyHeaderParser.parse(ByteBuffer.wrap(out.array(), 0, n)), "prefix of " + n + " bytes");
        }
        ProxyHeader header = ProxyHeaderParser.parse(out);
        assertEquals(length, header.length());
        boolean mixed = (source.getAddress().getAddress().length == 4) != (destination.getAddress().getAddress().length == 4);
        if (!mixed) {
            assertEquals(source, header.source());
            assertEquals(destination, header.destination());
        } else {
            // one family on the wire: IPv4 goes IPv4-mapped, which reads back as the same IPv4 address
            assertEquals(source.getPort(), header.source().getPort());
            assertEquals(destination.getAddress(), header.destination().getAddress());
        }
        assertArrayEquals(authority, header.authority());
        assertArrayEquals(uniqueId, header.uniqueId());
    }

    @Property(tries = 1000)
    void shouldRejectEveryMalformedHeader(@ForAll("malformed") byte[] bytes) {
        assertThrows(ProxyHeaderParser.Malformed.class, () -> ProxyHeaderParser.parse(ByteBuffer.wrap(bytes)),
                () -> "accepted: " + new String(bytes, StandardCharsets.ISO_8859_1));
    }

    @Property(tries = 300)
    void shouldRejectAnyStartThatIsNeitherSignature(@ForAll @Size(min = 1, max = 200) byte[] bytes) {
        if (bytes[0] == 'P' || bytes[0] == 0x0D) {
            bytes[0] = 'Q';
        }
        assertThrows(ProxyHeaderParser.Malformed.class, () -> ProxyHeaderParser.parse(ByteBuffer.wrap(bytes)));
    }

    @Provide
    Arbitrary<InetSocketAddress> addresses() {
        Arbitrary<byte[]> v4 = Arbitraries.bytes().array(byte[].class).ofSize(4);
        Arbitrary<byte[]> v6 = Arbitraries.bytes().array(byte[].class).ofSize(16)
                .filter(b -> !(b[10] == -1 && b[11] == -1 && allZero(b, 0, 10))); // not IPv4-mapped
        Arbitrary<byte[]> sparse = Arbitraries.integers().between(0, 255).list().ofSize(8)
                .map(g -> { // mostly-zero IPv6 exercises :: compression
                    byte[] b = new byte[16];
                    for (int i = 0; i < 8; i++) {
                        b[2 * i + 1] = (byte) (g.get(i) < 128 ? 0 : g.get(i));
                    }
                    b[15] |= 1;
                    return b;
                });
        return Combinators.combine(Arbitraries.oneOf(v4, v6, sparse), Arbitraries.integers().between(0, 65535))
                .as((raw, port) -> new InetSocketAddress(address(raw), port));
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Provide
    Arbitrary<byte[]> malformed() {
        return Arbitraries.oneOf(brokenV1(), brokenV2());
    }

    /** A valid TCP4 line, then exactly one defect the specification forbids. */
    private Arbitrary<byte[]> brokenV1() {
        Arbitrary<List<Integer>> octets = Arbitraries.integers().between(0, 255).list().ofSize(8);
        Arbitrary<Integer> port = Arbitraries.integers().between(1, 65535);
        return Combinators.combine(octets, port, port, Arbitraries.integers().between(0, 13))
                .as((o, sport, dport, defect) -> {
                    String src = o.get(0) + "." + o.get(1) + "." + o.get(2) + "." + o.get(3);
                    String dst = o.get(4) + "." + o.get(5) + "." + o.get(6) + "." + o.get(7);
                    String line;
                    switch (defect) {
                        case 0: line = "PROXY TCP4 0" + src + " " + dst + " " + sport + " " + dport + "\r\n"; break;
                        case 1: line = "PROXY TCP4 " + src + " " + dst + " 0" + sport + " " + dport + "\r\n"; break;
                        case 2: line = "PROXY TCP4 " + src + " " + dst + " " + (sport + 65536) + " " + dport + "\r\n"; break;
                        case 3: line = "PROXY TCP4 " + src + "  " + dst + " " + sport + " " + dport + "\r\n"; break;
                        case 4: line = "PROXY tcp4 " + src + " " + dst + " " + sport + " " + dport + "\r\n"; break;
                        case 5: line = "PROXY TCP4 " + src + " " + dst + " " + sport + "\r\n"; break;
                        case 6: line = "PROXY TCP4 " + src + " " + dst + " " + sport + " " + dport + "\n"; break;
                        case 7: line = "PROXY TCP4 " + src + " " + dst + " " + sport + " " + dport + "\rX"; break;
                        case 8: line = "PROXY TCP4 " + src + " " + dst + " " + sport + " " + dport + " ".repeat(107); break;
                        case 9: line = "PROXY TCP4 " + src + "\t" + dst + " " + sport + " " + dport + "\r\n"; break;
                        case 10: line = "PROXY TCP4 " + o.get(0) + "." + (o.get(1) + 256) + ".1.1 " + dst + " " + sport
                                + " " + dport + "\r\n"; break;
                        case 11: line = "PROXY TCP6 " + src + " " + dst + " " + sport + " " + dport + "\r\n"; break;
                        case 12: line = "PROXY TCP4 ::1 " + dst + " " + sport + " " + dport + "\r\n"; break;
                        default: line = "PROXY  TCP4 " + src + " " + dst + " " + sport + " " + dport + "\r\n"; break;
                    }
                    return line.getBytes(StandardCharsets.ISO_8859_1);
                });
    }

    /** A valid v2 TCP4 header with a unique id TLV, then exactly one defect. */
    private Arbitrary<byte[]> brokenV2() {
        return Combinators.combine(Arbitraries.integers().between(0, 8), Arbitraries.integers().between(0, 11),
                Arbitraries.integers().between(1, 255), Arbitraries.integers().between(0, 255))
                .as((defect, index, flip, any) -> {
                    ByteBuffer out = ByteBuffer.allocate(ProxyHeader.MAX_ENCODED_BYTES + 300);
                    ProxyHeader.encode(ProxyProtocol.V2, new InetSocketAddress(address(new byte[] {10, 0, 0, 1}), 1000),
                            new InetSocketAddress(address(new byte[] {10, 0, 0, 2}), 2000), null, new byte[] {1, 2}, out);
                    byte[] b = java.util.Arrays.copyOf(out.array(), out.position());
                    switch (defect) {
                        case 0: b[index] ^= (byte) flip.intValue(); break; // signature
                        case 1: b[12] = (byte) ((any % 16 == 2 ? 3 : any % 16) << 4 | 1); break; // version
                        case 2: b[12] = (byte) (0x20 | (2 + any % 14)); break; // command
                        case 3: b[13] = (byte) (any == 0x00 || any == 0x11 || any == 0x21 || any == 0x31 ? 0x12 : any);
                            break;
                        case 4: b[15] = (byte) (any % 12); b[14] = 0; // shorter than the IPv4 addresses
                            b = java.util.Arrays.copyOf(b, 16 + any % 12); break;
                        case 5: b[14] = (byte) (0x04 + any % 0xFB); break; // announces more than the bound
                        case 6: b[b.length - 4] = (byte) 0x7F; break; // TLV length runs past the end
                        case 7: { // unique id over 128 bytes
                            b = java.util.Arrays.copyOf(b, 16 + 12 + 3 + 129 + any % 50);
                            int tlv = b.length - 16 - 12 - 3;
                            ByteBuffer.wrap(b).putShort(14, (short) (b.length - 16)).put(28, (byte) 0x05)
                                    .putShort(29, (short) tlv);
                            break;
                        }
                        default: b = java.util.Arrays.copyOf(b, b.length + 1 + any % 2); // a partial TLV
                            ByteBuffer.wrap(b).putShort(14, (short) (b.length - 16)); break;
                    }
                    return b;
                });
    }

    @Property(tries = 50)
    void shouldNeverReadPastTheAnnouncedV2Length(@ForAll @IntRange(min = 0, max = 30) int extra) throws Exception {
        ByteBuffer out = ByteBuffer.allocate(200);
        ProxyHeader.encodeLocal(ProxyProtocol.V2, out);
        out.position(out.position() + extra).flip();
        assertEquals(16, ProxyHeaderParser.parse(out).length());
    }

    /** One TLV as the generator makes it. */
    record Tlv(int type, byte[] value) {
    }

    /**
     * Any TLV list within the limits (every type, NOOPs, at most one CRC32C, authority and unique id
     * as the specification allows them, 1,024 bytes with the addresses) survives decode, encode,
     * decode: the same TLVs in the same order, NOOPs dropped, a CRC32C kept in its place and valid
     * for the new header; encoding again gives the same bytes.
     */
    @Property(tries = 300)
    void shouldKeepAnyTlvListThroughDecodeEncodeDecode(@ForAll("tlvLists") List<Tlv> tlvs,
                                                        @ForAll("addresses") InetSocketAddress source,
                                                        @ForAll("addresses") InetSocketAddress destination,
                                                        @ForAll boolean v6OnTheWire) throws Exception {
        byte[] received = rawV2(tlvs, v6OnTheWire);
        ProxyHeader first = ProxyHeaderParser.parse(ByteBuffer.wrap(received));
        assertEquals(received.length, first.length());
        assertEquals(tlvs.size(), first.tlvs().size(), "every TLV is kept, NOOP and CRC32C included");
        for (int i = 0; i < tlvs.size(); i++) {
            assertEquals(tlvs.get(i).type(), first.tlvs().type(i));
            if (tlvs.get(i).type() != ProxyTlvs.TYPE_CRC32C) {
                assertArrayEquals(tlvs.get(i).value(), first.tlvs().value(i));
            }
        }
        // passed on for another client address, as a balancer does
        byte[] sent = encode(source, destination, first.tlvs());
        ProxyHeader second = ProxyHeaderParser.parse(ByteBuffer.wrap(sent)); // checks the new CRC32C
        List<Tlv> kept = new java.util.ArrayList<>();
        for (Tlv t : tlvs) {
            if (t.type() != ProxyTlvs.TYPE_NOOP) {
                kept.add(t);
            }
        }
        assertEquals(kept.size(), second.tlvs().size());
        for (int i = 0; i < kept.size(); i++) {
            assertEquals(kept.get(i).type(), second.tlvs().type(i), "TLV " + i + " in the same place");
            if (kept.get(i).type() != ProxyTlvs.TYPE_CRC32C) {
                assertArrayEquals(kept.get(i).value(), second.tlvs().value(i));
            }
        }
        assertArrayEquals(sent, encode(source, destination, second.tlvs()), "a fixed point after one pass");
    }

    private static byte[] encode(InetSocketAddress source, InetSocketAddress destination, ProxyTlvs tlvs) {
        ByteBuffer out = ByteBuffer.allocate(ProxyHeader.MAX_ENCODED_BYTES);
        ProxyHeader.encode(ProxyProtocol.V2, source, destination, tlvs, out);
        return java.util.Arrays.copyOf(out.array(), out.position());
    }

    /** A v2 PROXY header written by hand (not by the encoder under test), CRC32C filled in when listed. */
    private static byte[] rawV2(List<Tlv> tlvs, boolean v6) {
        int addresses = v6 ? 36 : 12;
        int length = addresses;
        for (Tlv t : tlvs) {
            length += 3 + t.value().length;
        }
        ByteBuffer b = ByteBuffer.allocate(16 + length);
        b.put(ProxyHeader.V2_SIGNATURE).put((byte) 0x21).put((byte) (v6 ? 0x21 : 0x11)).putShort((short) length);
        b.put(new byte[addresses - 4]).putShort((short) 1234).putShort((short) 443);
        int crcAt = -1;
        for (Tlv t : tlvs) {
            b.put((byte) t.type()).putShort((short) t.value().length);
            if (t.type() == ProxyTlvs.TYPE_CRC32C) {
                crcAt = b.position();
            }
            b.put(t.value());
        }
        if (crcAt >= 0) {
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(b.array());
            b.putInt(crcAt, (int) crc.getValue());
        }
        return b.array();
    }

    @Provide
    Arbitrary<List<Tlv>> tlvLists() {
        Arbitrary<Tlv> other = Combinators.combine(
                Arbitraries.integers().between(0, 255).filter(t -> t != ProxyTlvs.TYPE_AUTHORITY
                        && t != ProxyTlvs.TYPE_UNIQUE_ID && t != ProxyTlvs.TYPE_CRC32C),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40)).as(Tlv::new);
        Arbitrary<Tlv> linkId = Arbitraries.bytes().array(byte[].class).ofSize(4)
                .map(id -> new Tlv(ProxyTlvs.TYPE_AZURE, new byte[] {1, id[0], id[1], id[2], id[3]}));
        Arbitrary<Tlv> authority = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(60)
                .map(v -> new Tlv(ProxyTlvs.TYPE_AUTHORITY, v));
        Arbitrary<Tlv> uniqueId = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(128)
                .map(v -> new Tlv(ProxyTlvs.TYPE_UNIQUE_ID, v));
        Arbitrary<Tlv> crc = Arbitraries.just(new Tlv(ProxyTlvs.TYPE_CRC32C, new byte[4]));
        Arbitrary<List<Tlv>> others = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, other), net.jqwik.api.Tuple.of(1, linkId)).list().ofMaxSize(16);
        Arbitrary<List<Tlv>> once = Combinators.combine(authority.optional(), uniqueId.optional(), crc.optional())
                .as((a, u, c) -> {
                    List<Tlv> list = new java.util.ArrayList<>();
                    a.ifPresent(list::add);
                    u.ifPresent(list::add);
                    c.ifPresent(list::add);
                    return list;
                });
        return Combinators.combine(others, once, Arbitraries.randoms()).as((many, single, random) -> {
            List<Tlv> all = new java.util.ArrayList<>(many);
            for (Tlv t : single) {
                all.add(random.nextInt(all.size() + 1), t);
            }
            return all;
        }).filter(list -> {
            int bytes = 0;
            for (Tlv t : list) {
                bytes += 3 + t.value().length;
            }
            return 36 + bytes <= ProxyHeader.V2_MAX_BYTES - 16; // room for IPv6 addresses either way
        });
    }
}
