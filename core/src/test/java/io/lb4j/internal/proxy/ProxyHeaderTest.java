package io.lb4j.internal.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.ProxyProtocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Headers against the examples and layouts of HAProxy's proxy-protocol.txt (sections 2.1 and 2.2). */
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
}
