package io.lb4j.internal.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class DnsMessageTest {

    @Test
    void shouldEncodeAQueryExactlyAsRfc1035Lays_itOut() {
        byte[] wire = DnsMessage.query(0x1234, "a.bc", DnsMessage.SRV).encode();
        assertEquals("1234" + "0100" + "0001" + "0000" + "0000" + "0000" + "0161" + "026263" + "00" + "0021" + "0001",
                HexFormat.of().formatHex(wire));
    }

    @Test
    void shouldDecodeCompressedNamesInRecordsAndSrvTargets() throws Exception {
        // header: id 7, QR|RD|RA, 1 question, 2 answers
        String hex = "0007" + "8180" + "0001" + "0002" + "0000" + "0000"
                // question at 12: _x._tcp.ex.test SRV IN
                + "025f78" + "045f746370" + "026578" + "0474657374" + "00" + "0021" + "0001"
                // answer 1: name -> pointer to 12, SRV, IN, ttl 30, rdlength 10: prio 1, weight 2, port 80,
                // target "h" + pointer to "ex.test" at offset 12 + 3 + 5 = 20
                + "c00c" + "0021" + "0001" + "0000001e" + "000a" + "0001" + "0002" + "0050" + "0168" + "c014"
                // answer 2: name "h.ex.test" via pointer into answer 1's target (at offset 51), A 10.0.0.1
                + "c033" + "0001" + "0001" + "00000005" + "0004" + "0a000001";
        DnsMessage m = DnsMessage.decode(HexFormat.of().parseHex(hex));
        assertEquals(7, m.id());
        assertTrue(m.response());
        assertEquals(List.of(new DnsMessage.Question("_x._tcp.ex.test", DnsMessage.SRV, DnsMessage.IN)), m.questions());
        assertEquals(new DnsMessage.Record("_x._tcp.ex.test", DnsMessage.SRV, DnsMessage.IN, 30,
                new DnsMessage.Srv(1, 2, 80, "h.ex.test")), m.answers().get(0));
        assertEquals(new DnsMessage.Record("h.ex.test", DnsMessage.A, DnsMessage.IN, 5,
                new DnsMessage.Address(InetAddress.getByName("10.0.0.1"))), m.answers().get(1));
    }

    @Test
    void shouldCompressRepeatedSuffixesWhenEncoding() throws Exception {
        DnsMessage m = new DnsMessage(1, DnsMessage.FLAG_QR, List.of(new DnsMessage.Question("svc.example.test", 33, 1)),
                List.of(new DnsMessage.Record("svc.example.test", 33, 1, 60, new DnsMessage.Srv(0, 0, 1, "a.example.test"))),
                List.of(), List.of());
        byte[] wire = m.encode();
        // 12 header + 18 question name + 4 + 2 pointer + 10 fixed + 6 SRV fixed + 2 "a" + 2 pointer
        assertEquals(12 + 18 + 4 + 2 + 10 + 6 + 2 + 2, wire.length);
        assertEquals(m, DnsMessage.decode(wire));
    }

    @Test
    void shouldRejectAPointerThatDoesNotPointBackwards() {
        // a question whose name is a pointer to itself (offset 12): would loop forever if followed
        byte[] wire = HexFormat.of().parseHex("0001" + "0000" + "0001" + "0000" + "0000" + "0000" + "c00c" + "0001" + "0001");
        DnsFormatException e = assertThrows(DnsFormatException.class, () -> DnsMessage.decode(wire));
        assertTrue(e.getMessage().contains("does not point backwards"), e.getMessage());
    }

    @Test
    void shouldRejectAnAddressRecordOfTheWrongLength() {
        byte[] wire = HexFormat.of().parseHex("0001" + "8000" + "0000" + "0001" + "0000" + "0000"
                + "00" + "0001" + "0001" + "00000001" + "0003" + "0a0000");
        DnsFormatException e = assertThrows(DnsFormatException.class, () -> DnsMessage.decode(wire));
        assertEquals("address record of 3 bytes (expected: 4)", e.getMessage());
    }

    @Test
    void shouldRejectTrailingBytesAndTruncatedHeaders() {
        byte[] good = DnsMessage.query(9, "x.y", DnsMessage.A).encode();
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 1);
        assertThrows(DnsFormatException.class, () -> DnsMessage.decode(longer));
        assertThrows(DnsFormatException.class, () -> DnsMessage.decode(new byte[11]));
    }

    @Test
    void shouldRejectNamesThatCannotGoOnTheWire() {
        assertThrows(IllegalArgumentException.class, () -> new DnsMessage.Question("a..b", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new DnsMessage.Question("x".repeat(64), 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new DnsMessage.Question(String.join(".", java.util.Collections.nCopies(64, "abc")), 1, 1));
    }

    @Test
    void shouldReadTruncationAndResponseCodeFromFlags() throws Exception {
        DnsMessage m = DnsMessage.decode(HexFormat.of().parseHex("0001" + "8203" + "0000" + "0000" + "0000" + "0000"));
        assertTrue(m.truncated());
        assertEquals(DnsMessage.NXDOMAIN, m.rcode());
        assertArrayEquals(HexFormat.of().parseHex("0001820300000000" + "00000000"), m.encode());
    }

    private static void refused(String message, org.junit.jupiter.api.function.Executable construction) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, construction).getMessage());
    }

    @Test
    void shouldCheckEveryFieldRangeAtConstruction() {
        refused("id: 65536 (expected: 0-65535)", () -> new DnsMessage(65536, 0, List.of(), List.of(), List.of(), List.of()));
        refused("id: -1 (expected: 0-65535)", () -> new DnsMessage(-1, 0, List.of(), List.of(), List.of(), List.of()));
        refused("flags: 65536 (expected: 0-65535)", () -> new DnsMessage(0, 65536, List.of(), List.of(), List.of(), List.of()));
        new DnsMessage(65535, 65535, List.of(), List.of(), List.of(), List.of());
        refused("type: 65536 (expected: 0-65535)", () -> new DnsMessage.Question("a", 65536, DnsMessage.IN));
        refused("class: -1 (expected: 0-65535)", () -> new DnsMessage.Question("a", DnsMessage.A, -1));
        refused("name: 'a..b' (expected: labels of 1-63 characters)", () -> new DnsMessage.Question("a..b", 1, 1));
        DnsMessage.Data srv = new DnsMessage.Srv(1, 2, 3, "t.example");
        refused("type: 70000 (expected: 0-65535)", () -> new DnsMessage.Record("a", 70000, DnsMessage.IN, 1, srv));
        refused("class: 70000 (expected: 0-65535)", () -> new DnsMessage.Record("a", DnsMessage.SRV, 70000, 1, srv));
        refused("name: 'a.' (expected: labels of 1-63 characters)",
                () -> new DnsMessage.Record("a.", DnsMessage.SRV, DnsMessage.IN, 1, srv));
        refused("priority: 65536 (expected: 0-65535)", () -> new DnsMessage.Srv(65536, 0, 0, "t"));
        refused("weight: 65536 (expected: 0-65535)", () -> new DnsMessage.Srv(0, 65536, 0, "t"));
        refused("port: 65536 (expected: 0-65535)", () -> new DnsMessage.Srv(0, 0, 65536, "t"));
        refused("name: 'a..t' (expected: labels of 1-63 characters)", () -> new DnsMessage.Srv(0, 0, 0, "a..t"));
    }

    @Test
    void shouldAllowANameOfExactly255BytesOnTheWireAndNotOneMore() {
        String label63 = "a".repeat(63);
        String longest = label63 + "." + label63 + "." + label63 + "." + "a".repeat(61); // 1+64*3+62 = 255
        new DnsMessage.Question(longest, DnsMessage.A, DnsMessage.IN);
        refused("name: '" + longest + "a' (expected: at most 255 bytes on the wire)",
                () -> new DnsMessage.Question(longest + "a", DnsMessage.A, DnsMessage.IN));
        new DnsMessage.Question("a".repeat(63), DnsMessage.A, DnsMessage.IN);
    }

    @Test
    void shouldReadTheResponseAndTruncationBitsAndTheRcode() {
        DnsMessage plain = new DnsMessage(1, 0, List.of(), List.of(), List.of(), List.of());
        assertTrue(!plain.response() && !plain.truncated());
        DnsMessage answer = new DnsMessage(1, DnsMessage.FLAG_QR | DnsMessage.FLAG_TC | DnsMessage.NXDOMAIN,
                List.of(), List.of(), List.of(), List.of());
        assertTrue(answer.response() && answer.truncated());
        assertEquals(DnsMessage.NXDOMAIN, answer.rcode());
        DnsMessage otherBits = new DnsMessage(1, 0x7DFF & ~DnsMessage.FLAG_TC, List.of(), List.of(), List.of(), List.of());
        assertTrue(!otherBits.response() && !otherBits.truncated(), "only their own bits count");
    }

    @Test
    void shouldCompareOpaqueDataByContent() {
        DnsMessage.Opaque a = new DnsMessage.Opaque(new byte[] {1, 2, 3});
        assertEquals(a, new DnsMessage.Opaque(new byte[] {1, 2, 3}));
        assertEquals(a.hashCode(), new DnsMessage.Opaque(new byte[] {1, 2, 3}).hashCode());
        assertTrue(!a.equals(new DnsMessage.Opaque(new byte[] {1, 2, 4})) && !a.equals("x"));
        assertTrue(a.hashCode() != new DnsMessage.Opaque(new byte[] {9}).hashCode());
        assertEquals("Opaque[3 bytes]", a.toString());
    }
}
