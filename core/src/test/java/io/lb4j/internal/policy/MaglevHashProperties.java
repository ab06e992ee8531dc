package io.lb4j.internal.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.BalancingPolicy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Maglev's balance and movement, at the default table size of 65,537 slots. The bounds checked are
 * the ones {@code docs/MAGLEV.md} states; measured worst cases over 60 random pools of up to 1,000
 * backends were 1.61 slots off the ideal, 1.16% of other flows moved by a removal, and 1.15% more
 * than the new backend's share moved by an addition.
 */
class MaglevHashProperties implements BalancingPolicyContract {
    private static final int M = MaglevTable.DEFAULT_SIZE;

    @Override
    public BalancingPolicy policy() {
        return BalancingPolicy.fiveTuple();
    }

    private static String[] names(int n, long seed) {
        Random random = new Random(seed);
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            names[i] = "10." + random.nextInt(256) + "." + (i >> 8) + "." + (i & 0xff) + ":" + (1024 + random.nextInt(60000));
        }
        return names;
    }

    private static int[] weights(int n, long seed, boolean equal) {
        Random random = new Random(seed);
        int[] weights = new int[n];
        for (int i = 0; i < n; i++) {
            weights[i] = equal ? 1 : 1 + random.nextInt(1000);
        }
        return weights;
    }

    private static Map<String, Integer> counts(String[] owners) {
        Map<String, Integer> counts = new HashMap<>();
        for (String owner : owners) {
            counts.merge(owner, 1, Integer::sum);
        }
        return counts;
    }

    @Property(tries = 12)
    void shouldGiveEveryBackendItsWeightedShareWithinTwoSlots(
            @ForAll @IntRange(min = 1, max = 1000) int n, @ForAll long seed, @ForAll boolean equalWeights) {
        String[] names = names(n, seed);
        int[] weights = weights(n, seed, equalWeights);
        long total = 0;
        for (int w : weights) {
            total += w;
        }
        Map<String, Integer> counts = counts(MaglevTable.build(names, weights, M).ownersByName());
        for (int i = 0; i < n; i++) {
            double ideal = (double) M * weights[i] / total;
            int count = counts.getOrDefault(names[i], 0);
            // 2 slots of 65,537: each share is within 0.003% of all traffic of its ideal, and within
            // 1% of the ideal itself whenever that is 200 slots or more
            assertTrue(Math.abs(count - ideal) <= 2, names[i] + ": " + count + " slots, ideal " + ideal);
        }
    }

    @Property(tries = 8)
    void shouldKeepEqualWeightsWithinOnePercentOfTheirShareUpTo655Backends(
            @ForAll @IntRange(min = 1, max = 655) int n, @ForAll long seed) {
        String[] names = names(n, seed);
        Map<String, Integer> counts = counts(MaglevTable.build(names, weights(n, seed, true), M).ownersByName());
        double ideal = (double) M / n;
        for (String name : names) {
            assertTrue(Math.abs(counts.get(name) - ideal) <= 0.01 * ideal, name + ": " + counts.get(name) + " vs " + ideal);
        }
    }

    @Property(tries = 8)
    void shouldBuildTheSameTableWhateverOrderTheBackendsAreGivenIn(
            @ForAll @IntRange(min = 1, max = 300) int n, @ForAll long seed) {
        String[] names = names(n, seed);
        int[] weights = weights(n, seed, false);
        List<Integer> shuffled = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            shuffled.add(i);
        }
        Collections.shuffle(shuffled, new Random(seed));
        String[] names2 = new String[n];
        int[] weights2 = new int[n];
        for (int i = 0; i < n; i++) {
            names2[i] = names[shuffled.get(i)];
            weights2[i] = weights[shuffled.get(i)];
        }
        assertArrayEquals(MaglevTable.build(names, weights, M).ownersByName(),
                MaglevTable.build(names2, weights2, M).ownersByName());
    }

    @Property(tries = 10)
    void shouldMoveOnlyTheFlowsOfABackendThatBecomesUnusableAndBringThemBack(
            @ForAll @IntRange(min = 2, max = 60) int n, @ForAll @IntRange(min = 0, max = 59) int which) {
        String victim = TestCandidate.name(which % n);
        StringBuilder trace = new StringBuilder();
        for (int i = 0; i < n; i++) {
            trace.append("join ").append(TestCandidate.name(i)).append(' ').append(1 + i % 3).append('\n');
        }
        trace.append("snapshot\ndown ").append(victim).append("\nsnapshot\nup ").append(victim).append("\nsnapshot");
        PolicySimulator.Report report = new PolicySimulator(BalancingPolicy.sourceIp(), 4000).replay(trace.toString());
        Map<Integer, String> before = report.snapshots().get(0);
        Map<Integer, String> during = report.snapshots().get(1);
        for (Map.Entry<Integer, String> e : before.entrySet()) {
            if (e.getValue().equals(victim)) {
                assertTrue(!during.get(e.getKey()).equals(victim), "flow " + e.getKey() + " still on " + victim);
            } else {
                assertEquals(e.getValue(), during.get(e.getKey()), "flow " + e.getKey() + " moved");
            }
        }
        assertEquals((double) report.on(0, victim) / before.size(), report.moved(0, 1), 1e-9);
        assertEquals(0.0, report.moved(0, 2), "flows return when the backend does");
    }

    @Property(tries = 8)
    void shouldMoveAtMostTwoPercentOfOtherFlowsWhenABackendIsRemoved(
            @ForAll @IntRange(min = 2, max = 1000) int n, @ForAll long seed, @ForAll boolean equalWeights) {
        String[] names = names(n, seed);
        int[] weights = weights(n, seed, equalWeights);
        int removed = (int) Long.remainderUnsigned(seed, n);
        String[] fewerNames = new String[n - 1];
        int[] fewerWeights = new int[n - 1];
        for (int i = 0, j = 0; i < n; i++) {
            if (i != removed) {
                fewerNames[j] = names[i];
                fewerWeights[j++] = weights[i];
            }
        }
        String[] before = MaglevTable.build(names, weights, M).ownersByName();
        String[] after = MaglevTable.build(fewerNames, fewerWeights, M).ownersByName();
        int others = 0;
        int moved = 0;
        for (int s = 0; s < M; s++) {
            if (!before[s].equals(names[removed])) {
                others++;
                if (!before[s].equals(after[s])) {
                    moved++;
                }
            }
        }
        assertTrue(moved <= 0.02 * others, moved + " of " + others + " other flows moved");
    }

    @Property(tries = 8)
    void shouldMoveAtMostTheNewBackendsShareAndTwoPercentWhenOneIsAdded(
            @ForAll @IntRange(min = 1, max = 999) int n, @ForAll long seed, @ForAll boolean equalWeights) {
        String[] names = names(n + 1, seed);
        int[] weights = weights(n + 1, seed, equalWeights);
        long total = 0;
        for (int w : weights) {
            total += w;
        }
        String[] before = MaglevTable.build(java.util.Arrays.copyOf(names, n), java.util.Arrays.copyOf(weights, n), M).ownersByName();
        String[] after = MaglevTable.build(names, weights, M).ownersByName();
        int moved = 0;
        for (int s = 0; s < M; s++) {
            if (!before[s].equals(after[s])) {
                moved++;
            }
        }
        // equal weights: the new share is 1/(N+1), the least any consistent hash must move
        double bound = (double) weights[n] / total + 0.02;
        assertTrue(moved <= bound * M, moved + " of " + M + " flows moved, bound " + bound);
    }

    @Property(tries = 20)
    void shouldReuseTheTableWhenOnlyHealthChanges(@ForAll @IntRange(min = 1, max = 30) int n) {
        List<TestCandidate> pool = TestCandidate.pool(n);
        BalancingPolicy policy = BalancingPolicy.sourceIp();
        MaglevHash.Picker first = (MaglevHash.Picker) policy.rebuild(new ArrayList<>(pool), null);
        pool.get(0).usable = false;
        MaglevHash.Picker second = (MaglevHash.Picker) policy.rebuild(new ArrayList<>(pool), first);
        assertSame(first.table, second.table);
    }
}
