package io.lb4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.internal.relay.Admission;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Range matching and the allow/deny decision against a model that compares prefixes as big integers. */
class CidrProperties {

    /** A range as the model sees it: family width, network bits, prefix. */
    record Range(int bytes, BigInteger network, int prefix, String text) {
        boolean contains(byte[] raw) {
            if (raw.length != bytes) {
                return false;
            }
            int shift = bytes * 8 - prefix;
            return new BigInteger(1, raw).shiftRight(shift).equals(network.shiftRight(shift));
        }
    }

    @Property(tries = 500)
    void shouldMatchExactlyTheAddressesThatShareThePrefix(@ForAll("ranges") Range range, @ForAll("peers") byte[] peer) {
        assertEquals(range.contains(peer), Cidr.parse("allow", range.text()).matches(peer),
                () -> range.text() + " vs " + new BigInteger(1, peer).toString(16));
    }

    @Property(tries = 300)
    void shouldAdmitAPeerOnlyWhenAllowedAndNotDenied(@ForAll @Size(max = 4) List<@net.jqwik.api.From("ranges") Range> allow,
                                                     @ForAll @Size(max = 4) List<@net.jqwik.api.From("ranges") Range> deny,
                                                     @ForAll @Size(min = 1, max = 20) List<@net.jqwik.api.From("peers") byte[]> peers) {
        List<Cidr> allowed = new ArrayList<>();
        allow.forEach(r -> allowed.add(Cidr.parse("allow", r.text())));
        List<Cidr> denied = new ArrayList<>();
        deny.forEach(r -> denied.add(Cidr.parse("deny", r.text())));
        Admission admission = new Admission(new Edge(null, false, List.of(), 0, 0, allowed, denied));
        for (byte[] peer : peers) {
            boolean model = (allow.isEmpty() || allow.stream().anyMatch(r -> r.contains(peer)))
                    && deny.stream().noneMatch(r -> r.contains(peer));
            assertEquals(model, admission.allowed(peer));
        }
    }

    @Provide
    Arbitrary<Range> ranges() {
        return Combinators.combine(Arbitraries.of(4, 16), raw16(), Arbitraries.integers().between(0, 128))
                .as((bytes, raw, p) -> {
                    byte[] address = java.util.Arrays.copyOf(raw, bytes);
                    int prefix = p % (bytes * 8 + 1);
                    int shift = bytes * 8 - prefix;
                    BigInteger network = new BigInteger(1, address).shiftRight(shift).shiftLeft(shift);
                    byte[] masked = toBytes(network, bytes);
                    return new Range(bytes, network, prefix, text(masked) + "/" + prefix);
                })
                .filter(r -> !mapped(toBytes(r.network(), r.bytes())));
    }

    /** Peers: random, or near a small set of networks so that matches are common. */
    @Provide
    Arbitrary<byte[]> peers() {
        Arbitrary<byte[]> v4 = raw16().map(b -> java.util.Arrays.copyOf(b, 4));
        Arbitrary<byte[]> near4 = Arbitraries.integers().between(0, 255).map(x -> new byte[] {10, 0, 0, (byte) x.intValue()});
        Arbitrary<byte[]> near6 = Arbitraries.integers().between(0, 255).map(x -> {
            byte[] b = new byte[16];
            b[0] = 0x20;
            b[1] = 0x01;
            b[15] = (byte) x.intValue();
            return b;
        });
        return Arbitraries.oneOf(v4, near4, raw16(), near6).filter(b -> !mapped(b));
    }

    private static Arbitrary<byte[]> raw16() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofSize(16);
        Arbitrary<byte[]> ten = random.map(b -> {
            b[0] = 10;
            b[1] = 0;
            return b;
        });
        Arbitrary<byte[]> db8 = random.map(b -> {
            b[0] = 0x20;
            b[1] = 0x01;
            for (int i = 2; i < 15; i++) {
                b[i] = 0;
            }
            return b;
        });
        return Arbitraries.oneOf(random, ten, db8);
    }

    private static boolean mapped(byte[] b) {
        if (b.length != 16 || b[10] != -1 || b[11] != -1) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] toBytes(BigInteger value, int bytes) {
        byte[] out = new byte[bytes];
        byte[] big = value.toByteArray();
        for (int i = 0; i < Math.min(bytes, big.length); i++) {
            out[bytes - 1 - i] = big[big.length - 1 - i];
        }
        return out;
    }

    private static String text(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw).getHostAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
