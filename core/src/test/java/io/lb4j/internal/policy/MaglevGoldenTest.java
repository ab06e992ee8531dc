package io.lb4j.internal.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.lb4j.BalancingPolicy;
import io.lb4j.testing.FaultOracle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The golden vectors of {@code docs/MAGLEV.md}: if one of these changes, maglev-v1 changed, and
 * instances of different versions would send the same client to different backends.
 */
@ExtendWith(FaultOracle.class)
class MaglevGoldenTest {
    private static final String A = "10.0.0.1:80";
    private static final String B = "10.0.0.2:80";
    private static final String C = "10.0.0.3:80";
    private static final String[] NAMES = {A, B, C};

    @Test
    void shouldUseTheStandardFnv1aAndSplitMix64() {
        // FNV-1a 64 test vectors (draft-eastlake-fnv) and SplitMix64's first output from seed 0
        assertEquals(0xcbf29ce484222325L, MaglevTable.fnv1a(new byte[0]));
        assertEquals(0xaf63dc4c8601ec8cL, MaglevTable.fnv1a("a".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0xe220a8397b1dcdafL, MaglevTable.mix(0x9e3779b97f4a7c15L));
    }

    @Test
    void shouldDeriveEachBackendsPermutationFromItsName() {
        long h = MaglevTable.fnv1a(A.getBytes(StandardCharsets.UTF_8));
        assertEquals(0x529f5a4b643fa605L, h);
        assertEquals(21352, Long.remainderUnsigned(MaglevTable.mix(h ^ MaglevTable.OFFSET_SEED), 65537));
        assertEquals(6278, Long.remainderUnsigned(MaglevTable.mix(h ^ MaglevTable.SKIP_SEED), 65536) + 1);
    }

    @Test
    void shouldBuildTheGoldenThirteenSlotTables() {
        assertArrayEquals(new String[] {B, C, A, A, B, C, B, C, A, A, B, A, C},
                MaglevTable.build(NAMES, new int[] {1, 1, 1}, 13).ownersByName());
        assertArrayEquals(new String[] {B, C, C, A, B, C, B, C, A, A, B, C, C},
                MaglevTable.build(NAMES, new int[] {1, 2, 3}, 13).ownersByName());
    }

    @Test
    void shouldBuildTheGoldenDefaultSizeTable() {
        String[] owners = MaglevTable.build(new String[] {C, A, B}, new int[] {3, 1, 2}, 65537).ownersByName();
        assertArrayEquals(new String[] {A, C, C, A, C, B, C, C, B, B}, Arrays.copyOf(owners, 10));
        Map<String, Integer> counts = new TreeMap<>();
        for (String owner : owners) {
            counts.merge(owner, 1, Integer::sum);
        }
        assertEquals(Map.of(A, 10923, B, 21846, C, 32768), counts);
    }

    @Test
    void shouldHashTheGoldenFlowKeys() {
        TestFlow v4 = TestFlow.of("192.0.2.10", 50000, "198.51.100.1", 443);
        TestFlow v6 = TestFlow.of("2001:db8::1", 40000, "198.51.100.1", 80);
        assertEquals(0xb39d0b6423b320ecL, MaglevHash.keyHash(MaglevHash.Key.FIVE_TUPLE, v4));
        assertEquals(0x3ab87952ef4059adL, MaglevHash.keyHash(MaglevHash.Key.SOURCE_IP, v4));
        assertEquals(0x3ab87952ef4059adL, MaglevHash.keyHash(MaglevHash.Key.SOURCE_IP_PROTOCOL, v4));
        assertEquals(0xd32a1825990db42dL, MaglevHash.keyHash(MaglevHash.Key.FIVE_TUPLE, v6));
        assertEquals(0x85c2776d9bdac2e9L, MaglevHash.keyHash(MaglevHash.Key.SOURCE_IP, v6));
    }

    @Test
    void shouldHashExactlyTheKeyFieldsOfTheContract() {
        TestFlow flow = TestFlow.of("192.0.2.10", 50000, "198.51.100.1", 443);
        TestFlow otherFrontendIp = TestFlow.of("192.0.2.10", 50000, "203.0.113.99", 443);
        TestFlow otherFrontendPort = TestFlow.of("192.0.2.10", 50000, "198.51.100.1", 8443);
        TestFlow otherClientPort = TestFlow.of("192.0.2.10", 50001, "198.51.100.1", 443);
        TestFlow otherClientIp = TestFlow.of("192.0.2.11", 50000, "198.51.100.1", 443);
        long five = MaglevHash.keyHash(MaglevHash.Key.FIVE_TUPLE, flow);
        assertEquals(five, MaglevHash.keyHash(MaglevHash.Key.FIVE_TUPLE, otherFrontendIp), "frontend IP not hashed");
        assertNotEquals(five, MaglevHash.keyHash(MaglevHash.Key.FIVE_TUPLE, otherFrontendPort), "frontend port hashed");
        assertNotEquals(five, MaglevHash.keyHash(MaglevHash.Key.FIVE_TUPLE, otherClientPort), "client port hashed");
        assertNotEquals(five, MaglevHash.keyHash(MaglevHash.Key.FIVE_TUPLE, otherClientIp), "client IP hashed");
        for (MaglevHash.Key key : new MaglevHash.Key[] {MaglevHash.Key.SOURCE_IP, MaglevHash.Key.SOURCE_IP_PROTOCOL}) {
            long ip = MaglevHash.keyHash(key, flow);
            for (TestFlow sameIp : new TestFlow[] {otherFrontendIp, otherFrontendPort, otherClientPort}) {
                assertEquals(ip, MaglevHash.keyHash(key, sameIp), key + ": only the client IP is hashed");
            }
            assertNotEquals(ip, MaglevHash.keyHash(key, otherClientIp), key + ": the client IP is hashed");
        }
    }

    @Test
    void shouldSendTheGoldenFlowsToTheGoldenBackends() {
        List<BalancingPolicy.Candidate> candidates = List.of(
                new TestCandidate(A, 1), new TestCandidate(B, 2), new TestCandidate(C, 3));
        BalancingPolicy.Selection fiveTuple = BalancingPolicy.fiveTuple().rebuild(candidates, null);
        BalancingPolicy.Selection sourceIp = BalancingPolicy.sourceIp().rebuild(candidates, null);
        assertEquals(B, pick(fiveTuple, candidates, TestFlow.of("192.0.2.10", 50000, "198.51.100.1", 443)));
        assertEquals(C, pick(sourceIp, candidates, TestFlow.of("192.0.2.10", 50000, "198.51.100.1", 443)));
        // the frontend IP is never hashed: another instance on another address agrees
        assertEquals(B, pick(fiveTuple, candidates, TestFlow.of("192.0.2.10", 50000, "203.0.113.99", 443)));
    }

    private static String pick(BalancingPolicy.Selection selection, List<BalancingPolicy.Candidate> candidates,
                               TestFlow flow) {
        int[] order = new int[1];
        assertEquals(1, selection.pick(flow, order));
        return candidates.get(order[0]).backend().name();
    }
}
