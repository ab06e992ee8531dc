package io.lb4j.internal.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.ProxyProtocol;
import io.lb4j.ProxyTlvs;
import io.lb4j.testing.FaultOracle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Headers against the examples and layouts of HAProxy's proxy-protocol.txt (sections 2.1 and 2.2). */
@ExtendWith(FaultOracle.class)
class ProxyHeaderTest {
    private static final String SIGNATURE = "0d0a0d0a000d0a515549540a";
    private static final String FFFF6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

    private static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    private static byte[] encode(ProxyProtocol v, InetSocketAddress src, InetSocketAddress dst, byte[] authority,
                                 byte[] uniqueId) {
        ByteBuffer out = ByteBuffer.allocate(ProxyHeader.MAX_ENCODED_BYTES);
        ProxyHeader.encode(v, src, dst, authority, uniqueId, out);
        out.flip();
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }

    private static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static ProxyHeader parse(byte[] bytes) throws ProxyHeaderParser.Malformed {
        return ProxyHeaderParser.parse(ByteBuffer.wrap(bytes));
    }

    @Test
    void shouldEncodeV1Tcp4AsTheSpecificationExample() throws Exception {
        byte[] header = encode(ProxyProtocol.V1, at("192.168.0.1", 56324), at("192.168.0.11", 443), null, null);
        assertEquals("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", ascii(header));
    }

    @Test
    void shouldEncodeV1WorstCaseTcp4AndTcp6AsTheSpecificationShowsThem() throws Exception {
        assertEquals("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
                ascii(encode(ProxyProtocol.V1, at("255.255.255.255", 65535), at("255.255.255.255", 65535), null, null)));
        String tcp6 = "PROXY TCP6 " + FFFF6 + " " + FFFF6 + " 65535 65535\r\n";
        assertEquals(tcp6, ascii(encode(ProxyProtocol.V1, at(FFFF6, 65535), at(FFFF6, 65535), null, null)));
        assertEquals(104, tcp6.length());
    }

    @Test
    void shouldEncodeV1Tcp6InCanonicalCompressedForm() throws Exception {
        assertEquals("PROXY TCP6 2001:db8::1 ::1 1 0\r\n",
                ascii(encode(ProxyProtocol.V1, at("2001:0db8:0:0:0:0:0:1", 1), at("::1", 0), null, null)));
        assertEquals("PROXY TCP6 2001:db8:0:1:1:1:1:1 1::1:0:0:1 80 81\r\n",
                ascii(encode(ProxyProtocol.V1, at("2001:db8:0:1:1:1:1:1", 80), at("1:0:0:0:1:0:0:1", 81), null, null)));
    }

    @Test
    void shouldEncodeUnknownAndLocalHeaders() {
        assertEquals("PROXY UNKNOWN\r\n", ascii(encode(ProxyProtocol.V1, null, null, null, null)));
        ByteBuffer out = ByteBuffer.allocate(64);
        ProxyHeader.encodeLocal(ProxyProtocol.V2, out);
        out.flip();
        byte[] local = new byte[out.remaining()];
        out.get(local);
        assertEquals(SIGNATURE + "20000000", HexFormat.of().formatHex(local));
    }

    @Test
    void shouldEncodeV2Tcp4ByteForByte() throws Exception {
        byte[] header = encode(ProxyProtocol.V2, at("192.168.0.1", 56324), at("192.168.0.11", 443), null, null);
        // version 2 / PROXY, AF_INET + STREAM, length 12, src, dst, sport 56324 = 0xdc04, dport 443 = 0x01bb
        assertEquals(SIGNATURE + "21" + "11" + "000c" + "c0a80001" + "c0a8000b" + "dc04" + "01bb",
                HexFormat.of().formatHex(header));
    }

    @Test
    void shouldEncodeV2Tcp6WithTlvsByteForByte() throws Exception {
        byte[] header = encode(ProxyProtocol.V2, at("2001:db8::1", 65535), at("::1", 80),
                "example.com".getBytes(StandardCharsets.US_ASCII), new byte[] {1, 2, 3});
        String expected = SIGNATURE + "21" + "21" + "0038" // 36 address bytes + 14 + 6 TLV bytes = 56
                + "20010db8000000000000000000000001" + "00000000000000000000000000000001" + "ffff" + "0050"
                + "02" + "000b" + HexFormat.of().formatHex("example.com".getBytes(StandardCharsets.US_ASCII))
                + "05" + "0003" + "010203";
        assertEquals(expected, HexFormat.of().formatHex(header));
    }

    @Test
    void shouldParseEveryEncodedExampleBackToItsAddresses() throws Exception {
        for (ProxyProtocol v : ProxyProtocol.values()) {
            for (String[] pair : new String[][] {{"192.168.0.1", "192.168.0.11"}, {"2001:db8::1", "::1"}}) {
                byte[] bytes = encode(v, at(pair[0], 56324), at(pair[1], 443), null, null);
                ProxyHeader header = parse(bytes);
                assertFalse(header.local());
                assertEquals(at(pair[0], 56324), header.source());
                assertEquals(at(pair[1], 443), header.destination());
                assertEquals(bytes.length, header.length());
            }
        }
    }

    @Test
    void shouldAcceptTheLongestV1LineAndRejectOneByteMore() throws Exception {
        String longest = "PROXY UNKNOWN " + FFFF6 + " " + FFFF6 + " 65535 65535\r\n";
        assertEquals(107, longest.length());
        ProxyHeader header = parse(longest.getBytes(StandardCharsets.US_ASCII));
        assertTrue(header.local());
        assertEquals(107, header.length());
        String tooLong = "PROXY UNKNOWN " + FFFF6 + " " + FFFF6 + " 65535 655350\r\n";
        assertThrows(ProxyHeaderParser.Malformed.class, () -> parse(tooLong.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void shouldWaitForMoreBytesWhileTheStartIsValid() throws Exception {
        byte[] bytes = encode(ProxyProtocol.V2, at("10.0.0.1", 1), at("10.0.0.2", 2), null, null);
        for (int n = 0; n < bytes.length; n++) {
            assertNull(ProxyHeaderParser.parse(ByteBuffer.wrap(bytes, 0, n)), "prefix of " + n);
        }
        assertEquals(28, parse(bytes).length());
    }

    @Test
    void shouldTreatV2LocalAndUnspecAsTheConnectionsOwnEndpoints() throws Exception {
        byte[] local = HexFormat.of().parseHex(SIGNATURE + "20" + "11" + "000c" + "0a000001" + "0a000002" + "00010002");
        assertTrue(parse(local).local());
        byte[] unspec = HexFormat.of().parseHex(SIGNATURE + "21" + "00" + "0000");
        assertTrue(parse(unspec).local());
    }

    @Test
    void shouldReadTlvsAndCheckTheirCrc32c() throws Exception {
        String body = SIGNATURE + "21" + "11" + "0018" + "0a000001" + "0a000002" + "00010002"
                + "05" + "0002" + "abcd" + "03" + "0004" + "00000000";
        byte[] bytes = HexFormat.of().parseHex(body);
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
        ProxyHeader header = parse(bytes);
        assertArrayEquals(new byte[] {(byte) 0xab, (byte) 0xcd}, header.uniqueId());
        bytes[bytes.length - 1] ^= 1;
        assertThrows(ProxyHeaderParser.Malformed.class, () -> parse(bytes));
    }

    @Test
    void shouldRejectAV2HeaderAnnouncingMoreThanTheBound() {
        byte[] bytes = HexFormat.of().parseHex(SIGNATURE + "21" + "11" + "ffff");
        assertThrows(ProxyHeaderParser.Malformed.class, () -> parse(bytes));
    }

    /** A v2 TCP4 header 10.0.0.1:1 -> 10.0.0.2:2 with {@code tlvsHex} after the addresses, CRC32C filled in. */
    private static byte[] v2WithTlvs(String tlvsHex, boolean fillCrc) {
        byte[] tlvs = HexFormat.of().parseHex(tlvsHex);
        byte[] bytes = HexFormat.of().parseHex(SIGNATURE + "21" + "11" + String.format("%04x", 12 + tlvs.length)
                + "0a000001" + "0a000002" + "00010002" + tlvsHex);
        int crcAt = tlvsHex.indexOf("030004");
        if (fillCrc && crcAt >= 0) {
            CRC32C crc = new CRC32C();
            crc.update(bytes);
            ByteBuffer.wrap(bytes).putInt(28 + crcAt / 2 + 3, (int) crc.getValue());
        }
        return bytes;
    }

    @Test
    void shouldKeepEveryTlvInOrderIncludingUnknownTypes() throws Exception {
        // NOOP, a custom type, Azure LINKID 0x00303901 (= 3160321), authority, an empty custom TLV
        byte[] bytes = v2WithTlvs("040002" + "0000" + "e00003" + "616263" + "ee0005" + "0101393000"
                + "020002" + "7773" + "f10000", false);
        ProxyTlvs tlvs = parse(bytes).tlvs();
        assertEquals(5, tlvs.size());
        assertEquals(List.of(0x04, 0xe0, 0xee, 0x02, 0xf1),
                List.of(tlvs.type(0), tlvs.type(1), tlvs.type(2), tlvs.type(3), tlvs.type(4)));
        assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), tlvs.value(1));
        assertEquals(0, tlvs.length(4));
        assertEquals(OptionalLong.of(3_160_321L), tlvs.azureLinkId(), "little-endian 01 39 30 00");
        assertArrayEquals("ws".getBytes(StandardCharsets.US_ASCII), parse(bytes).authority());
    }

    @Test
    void shouldReadTheLargestLinkIdAsUnsignedAndIgnoreOtherAzureSubtypes() throws Exception {
        ProxyTlvs max = parse(v2WithTlvs("ee0005" + "01ffffffff", false)).tlvs();
        assertEquals(OptionalLong.of(4_294_967_295L), max.azureLinkId());
        ProxyTlvs other = parse(v2WithTlvs("ee0005" + "02ffffffff" + "ee0004" + "01ffffff", false)).tlvs();
        assertEquals(OptionalLong.empty(), other.azureLinkId(), "another subtype, or a LINKID cut short");
        assertEquals(2, other.size());
    }

    @Test
    void shouldForwardTlvsInOrderWithoutNoopAndWithAFreshCrc32c() throws Exception {
        byte[] received = v2WithTlvs("e00001" + "aa" + "040003" + "000000" + "030004" + "00000000"
                + "ee0005" + "0107000000", true);
        ProxyHeader in = parse(received);
        ByteBuffer out = ByteBuffer.allocate(ProxyHeader.MAX_ENCODED_BYTES);
        // sent with IPv6 addresses this time: the header differs, so the checksum must be computed anew
        ProxyHeader.encode(ProxyProtocol.V2, at("2001:db8::1", 5), at("2001:db8::2", 6), in.tlvs(), out);
        byte[] sent = java.util.Arrays.copyOf(out.array(), out.position());
        String tlvArea = HexFormat.of().formatHex(sent, 16 + 36, sent.length);
        assertEquals("e00001" + "aa" + "030004" + tlvArea.substring(14, 22) + "ee0005" + "0107000000", tlvArea);
        ProxyHeader back = parse(sent); // the parser checks the new CRC32C
        assertEquals(3, back.tlvs().size());
        assertEquals(OptionalLong.of(7), back.tlvs().azureLinkId());
        CRC32C crc = new CRC32C();
        byte[] zeroed = sent.clone();
        int crcValue = 16 + 36 + 4 + 3;
        ByteBuffer.wrap(zeroed).putInt(crcValue, 0);
        crc.update(zeroed);
        assertEquals((int) crc.getValue(), ByteBuffer.wrap(sent).getInt(crcValue));
    }

    @Test
    void shouldRejectABadRepeatedOrMisSizedCrc32c() {
        assertThrows(ProxyHeaderParser.Malformed.class,
                () -> parse(v2WithTlvs("030004" + "00000000" + "e00000", false)), "a wrong checksum");
        byte[] good = v2WithTlvs("030004" + "00000000" + "e00000", true);
        for (int i = 16; i < good.length; i++) {
            byte[] flipped = good.clone();
            flipped[i] ^= 0x10;
            int at = i;
            if (at == 28) {
                continue; // the CRC32C's own type byte: the header then carries no checksum at all
            }
            assertThrows(ProxyHeaderParser.Malformed.class, () -> parse(flipped), "byte " + at + " flipped");
        }
        assertThrows(ProxyHeaderParser.Malformed.class,
                () -> parse(v2WithTlvs("030004" + "00000000" + "030004" + "00000000", true)), "two CRC32C TLVs");
        assertThrows(ProxyHeaderParser.Malformed.class,
                () -> parse(v2WithTlvs("030003" + "000000", false)), "a 3-byte CRC32C");
    }

    @Test
    void shouldBuildAndReadTlvBlocksAndRefuseBrokenOnes() {
        ProxyTlvs built = ProxyTlvs.none().with(0xe0, new byte[] {1, 2}).with(ProxyTlvs.TYPE_AZURE,
                new byte[] {1, 0x2a, 0, 0, 0});
        assertEquals(built, ProxyTlvs.fromWire(built.toWire()));
        assertEquals("e000020102" + "ee0005012a000000", HexFormat.of().formatHex(built.toWire()));
        assertEquals(OptionalLong.of(42), built.azureLinkId());
        assertEquals("[0xe0:0102, 0xee:012a000000]", built.toString());
        assertEquals(ProxyTlvs.none(), ProxyTlvs.fromWire(new byte[0]));
        IllegalArgumentException cut = assertThrows(IllegalArgumentException.class,
                () -> ProxyTlvs.fromWire(new byte[] {(byte) 0xe0, 0}));
        assertEquals("proxy TLVs: truncated TLV at byte 0 (expected: 3 bytes of type and length)", cut.getMessage());
        IllegalArgumentException over = assertThrows(IllegalArgumentException.class,
                () -> ProxyTlvs.fromWire(new byte[] {(byte) 0xe0, 0, 2, 1}));
        assertEquals("proxy TLVs: TLV at byte 0 runs to byte 5 (expected: <= 4)", over.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> ProxyTlvs.none().with(256, new byte[0]));
        assertEquals("proxy TLV type: 256 (expected: 0 to 255)", type.getMessage());
        byte[] value = {5};
        ProxyTlvs copied = ProxyTlvs.none().with(0xe1, value);
        value[0] = 6;
        copied.value(0)[0] = 7;
        assertArrayEquals(new byte[] {5}, copied.value(0), "values are copied in and out");
    }
}
