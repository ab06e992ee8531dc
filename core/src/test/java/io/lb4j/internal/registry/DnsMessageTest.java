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
}
