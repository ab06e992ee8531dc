package io.lb4j.internal.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class DnsMessageProperties {

    @Property(tries = 150)
    void shouldDecodeWhatItEncodes(@ForAll("messages") DnsMessage message) throws DnsFormatException {
        byte[] wire = message.encode();
        DnsMessage decoded = DnsMessage.decode(wire);
        assertEquals(message, decoded);
        assertArrayEquals(wire, decoded.encode());
    }

    @Property(tries = 150)
    void shouldRejectEveryTruncation(@ForAll("messages") DnsMessage message, @ForAll double cut) {
        byte[] wire = message.encode();
        int length = (int) (Math.abs(cut) % 1.0 * wire.length);
        byte[] truncated = Arrays.copyOf(wire, Math.min(length, wire.length - 1));
        assertThrows(DnsFormatException.class, () -> DnsMessage.decode(truncated));
    }

    @Property(tries = 200)
    void shouldEitherDecodeOrRejectCorruptedBytesWithoutAnyOtherException(
            @ForAll("messages") DnsMessage message, @ForAll("flips") List<Integer> flips) {
        byte[] wire = message.encode();
        for (int flip : flips) {
            int at = Math.floorMod(flip >> 8, wire.length);
            wire[at] ^= (byte) (flip | 1);
        }
        try {
            DnsMessage decoded = DnsMessage.decode(wire);
            assertEquals(decoded, DnsMessage.decode(decoded.encode()));
        } catch (DnsFormatException expected) {
            // malformed is a valid outcome; any other exception fails the property
        }
    }

    @Provide
    Arbitrary<List<Integer>> flips() {
        return Arbitraries.integers().list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<DnsMessage> messages() {
        Arbitrary<DnsMessage.Question> question = Combinators.combine(names(), types(), Arbitraries.integers().between(0, 0xFFFF))
                .as(DnsMessage.Question::new);
        Arbitrary<List<DnsMessage.Record>> section = records().list().ofMaxSize(5);
        return Combinators.combine(Arbitraries.integers().between(0, 0xFFFF), Arbitraries.integers().between(0, 0xFFFF),
                question.list().ofMaxSize(3), section, section, section).as(DnsMessage::new);
    }

    private static Arbitrary<Integer> types() {
        return Arbitraries.of(DnsMessage.A, DnsMessage.AAAA, DnsMessage.SRV, DnsMessage.CNAME, 16, 255);
    }

    /** Names drawn from a few labels, so that suffixes repeat and compression is exercised. */
    private static Arbitrary<String> names() {
        Arbitrary<String> label = Arbitraries.oneOf(Arbitraries.of("a", "b", "Svc", "_tcp", "example", "test"),
                Arbitraries.strings().withCharRange('a', 'z').withChars('-', '_', 'Z', (char) 0xE9).ofMinLength(1).ofMaxLength(63));
        return label.list().ofMaxSize(4).map(labels -> String.join(".", labels));
    }

    private static Arbitrary<DnsMessage.Record> records() {
        Arbitrary<Long> ttl = Arbitraries.longs().between(0, 0xFFFF_FFFFL);
        Arbitrary<Integer> u16 = Arbitraries.integers().between(0, 0xFFFF);
        Arbitrary<DnsMessage.Record> a = Combinators.combine(names(), ttl, Arbitraries.bytes().array(byte[].class).ofSize(4))
                .as((n, t, raw) -> new DnsMessage.Record(n, DnsMessage.A, DnsMessage.IN, t, new DnsMessage.Address(address(raw))));
        Arbitrary<DnsMessage.Record> aaaa = Combinators.combine(names(), ttl, Arbitraries.bytes().array(byte[].class).ofSize(16))
                .as((n, t, raw) -> new DnsMessage.Record(n, DnsMessage.AAAA, DnsMessage.IN, t, new DnsMessage.Address(address(raw))));
        Arbitrary<DnsMessage.Record> srv = Combinators.combine(names(), ttl, u16, u16, u16, names())
                .as((n, t, p, w, port, target) -> new DnsMessage.Record(n, DnsMessage.SRV, DnsMessage.IN, t,
                        new DnsMessage.Srv(p, w, port, target)));
        Arbitrary<DnsMessage.Record> opaque = Combinators.combine(names(), Arbitraries.of(16, 99, 65280), ttl,
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40))
                .as((n, type, t, raw) -> new DnsMessage.Record(n, type, 3, t, new DnsMessage.Opaque(raw)));
        return Arbitraries.oneOf(a, aaaa, srv, opaque);
    }

    private static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
