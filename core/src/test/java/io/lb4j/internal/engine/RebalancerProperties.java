package io.lb4j.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;

/** The rebalancer's arithmetic: it never closes more than allowed, nor below the target, nor on the light. */
class RebalancerProperties {

    record Pool(int[] active, int[] weight, int[] allowance) {
    }

    @Provide
    Arbitrary<Pool> pools() {
        return Arbitraries.integers().between(1, 12).flatMap(n -> Combinators.combine(
                Arbitraries.integers().between(0, 5000).array(int[].class).ofSize(n),
                Arbitraries.integers().between(1, 10).array(int[].class).ofSize(n),
                Arbitraries.integers().between(0, 2000).array(int[].class).ofSize(n)).as(Pool::new));
    }

    @Property(tries = 500)
    void closesStayWithinTheAllowanceAndNeverGoBelowTheTargetShare(@ForAll("pools") Pool pool,
            @ForAll @DoubleRange(min = 0.01, max = 1.0) double target) {
        int[] closes = Rebalancer.plan(pool.active(), pool.weight(), pool.allowance(), target);
        long total = 0;
        long weights = 0;
        for (int i = 0; i < closes.length; i++) {
            total += pool.active()[i];
            weights += pool.weight()[i];
        }
        double mean = (double) total / weights;
        for (int i = 0; i < closes.length; i++) {
            assertTrue(closes[i] >= 0, "never negative");
            assertTrue(closes[i] <= pool.allowance()[i], "within the per-minute allowance");
            assertTrue(closes[i] <= pool.active()[i], "never more than it holds");
            double left = pool.active()[i] - closes[i];
            if (closes[i] > 0) {
                assertTrue(left >= Math.floor(mean * pool.weight()[i] * (1 + target)),
                        "a backend keeps at least its target share");
            }
            if (pool.active()[i] <= mean * pool.weight()[i]) {
                assertEquals(0, closes[i], "nothing moves off a backend at or below the mean");
            }
        }
    }

    @Property(tries = 500)
    void spreadIsZeroWhenBalancedAndGrowsWithTheBusiestBackend(@ForAll("pools") Pool pool) {
        int n = pool.active().length;
        int[] balanced = new int[n];
        for (int i = 0; i < n; i++) {
            balanced[i] = 100 * pool.weight()[i];
        }
        assertEquals(0.0, Rebalancer.spread(balanced, pool.weight()), 1e-9, "balanced by weight");
        if (n >= 2) {
            int[] heavier = balanced.clone();
            heavier[0] += 100;
            assertTrue(Rebalancer.spread(heavier, pool.weight()) > 0, "one busier backend shows a spread");
        }
        assertTrue(n < 2 || Rebalancer.spread(pool.active(), pool.weight()) >= -1e-9, "never negative");
    }
}
