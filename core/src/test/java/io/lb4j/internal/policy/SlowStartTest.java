package io.lb4j.internal.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.BalancingPolicy;
import io.lb4j.testing.FaultOracle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class SlowStartTest {
    private static final long WINDOW = 100_000_000_000L;
    private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);

    private int[] share(BalancingPolicy policy, List<TestCandidate> pool, int picks) {
        BalancingPolicy.Selection selection = policy.rebuild(new ArrayList<>(pool), null);
        int[] counts = new int[pool.size()];
        int[] order = new int[1];
        for (int i = 0; i < picks; i++) {
            selection.pick(TestFlow.of(i, i, 80), order);
            counts[order[0]]++;
        }
        return counts;
    }

    @Test
    void shouldRampANewlyUpBackendFromFivePercentToItsFullWeight() {
        SlowStart slowStart = new SlowStart(WINDOW, clock::get);
        TestCandidate fresh = new TestCandidate("10.0.0.9:80", 4);
        fresh.upSinceNanos = clock.get();
        assertEquals(4 * SlowStart.SCALE / 20, slowStart.weight(fresh, clock.get()));
        assertEquals(4 * SlowStart.SCALE / 2, slowStart.weight(fresh, clock.get() + WINDOW / 2));
        assertEquals(4 * SlowStart.SCALE, slowStart.weight(fresh, clock.get() + WINDOW));
        TestCandidate old = new TestCandidate("10.0.0.8:80", 4);
        assertEquals(4 * SlowStart.SCALE, slowStart.weight(old, clock.get()), "up since start: no ramp");
    }

    @Test
    void shouldGiveARampingBackendAQuarterShareAtAQuarterOfTheWindowUnderWeightedRoundRobin() {
        List<TestCandidate> pool = TestCandidate.pool(2);
        pool.get(1).upSinceNanos = clock.get() - WINDOW / 4;
        int[] counts = share(SmoothWeightedRoundRobin.withSlowStart(WINDOW, clock::get), pool, 1250);
        assertEquals(1000, counts[0]);
        assertEquals(250, counts[1]);
        clock.addAndGet(WINDOW);
        counts = share(SmoothWeightedRoundRobin.withSlowStart(WINDOW, clock::get), pool, 1000);
        assertEquals(500, counts[1], "full share once the window is over");
    }

    @Test
    void shouldSendFewerConnectionsToARampingBackendUnderLeastConnectionsAndPowerOfTwo() {
        for (BalancingPolicy policy : List.of(LeastConnections.withSlowStart(WINDOW, clock::get),
                PowerOfTwo.withSlowStart(WINDOW, clock::get, new SplittableRandom(7)))) {
            List<TestCandidate> pool = TestCandidate.pool(2);
            pool.get(1).upSinceNanos = clock.get() - WINDOW / 4;
            BalancingPolicy.Selection selection = policy.rebuild(new ArrayList<>(pool), null);
            int[] order = new int[1];
            for (int i = 0; i < 500; i++) {
                selection.pick(TestFlow.of(i, i, 80), order);
                pool.get(order[0]).active++;
            }
            // equal load per ramped weight: 400 and 100 for 1 and 1/4
            assertTrue(Math.abs(pool.get(1).active - 100) <= 2, policy.name() + ": " + pool.get(1).active);
        }
    }

    @Test
    void shouldRefuseSlowStartWherePoliciesCannotRamp() {
        assertThrows(UnsupportedOperationException.class, () -> BalancingPolicy.fiveTuple().withSlowStart(Duration.ofSeconds(1)));
        assertThrows(UnsupportedOperationException.class, () -> BalancingPolicy.roundRobin().withSlowStart(Duration.ofSeconds(1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BalancingPolicy.leastConnections().withSlowStart(Duration.ofSeconds(-1)));
        assertEquals("slowStart: -1s (expected: > 0)", e.getMessage());
    }

    @Test
    void shouldRejectATableSizeThatIsNotPrime() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BalancingPolicy.sourceIp(65536));
        assertTrue(e.getMessage().startsWith("maglevTableSize: 65536 (expected: a prime"), e.getMessage());
    }
}
