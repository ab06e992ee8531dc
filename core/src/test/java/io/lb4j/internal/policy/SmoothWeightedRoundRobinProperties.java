package io.lb4j.internal.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.lb4j.BalancingPolicy;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class SmoothWeightedRoundRobinProperties implements BalancingPolicyContract {

    @Override
    public BalancingPolicy policy() {
        return BalancingPolicy.weightedRoundRobin();
    }

    private static List<BalancingPolicy.Candidate> weighted(List<Integer> weights) {
        List<BalancingPolicy.Candidate> list = new ArrayList<>();
        for (int i = 0; i < weights.size(); i++) {
            list.add(new TestCandidate(TestCandidate.name(i), weights.get(i)));
        }
        return list;
    }

    /** Sum of weights divided by their greatest common divisor: the length of one cycle. */
    private static int cycleLength(List<Integer> weights, int[] reduced) {
        int gcd = 0;
        for (int w : weights) {
            gcd = BigInteger.valueOf(gcd).gcd(BigInteger.valueOf(w)).intValue();
        }
        int total = 0;
        for (int i = 0; i < weights.size(); i++) {
            reduced[i] = weights.get(i) / gcd;
            total += reduced[i];
        }
        return total;
    }

    private static int[] picks(BalancingPolicy.Selection selection, int count) {
        int[] sequence = new int[count];
        int[] order = new int[1];
        for (int i = 0; i < count; i++) {
            assertEquals(1, selection.pick(TestFlow.of(1, 1, 1), order));
            sequence[i] = order[0];
        }
        return sequence;
    }

    @Property(tries = 200)
    void shouldDeliverExactlyTheWeightProportionsOverEveryFullCycle(
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 60) Integer> weights,
            @ForAll @IntRange(min = 0, max = 500) int offset) {
        int[] reduced = new int[weights.size()];
        int length = cycleLength(weights, reduced);
        BalancingPolicy.Selection selection = policy().rebuild(weighted(weights), null);
        picks(selection, offset);
        int[] sequence = picks(selection, 2 * length);
        for (int start = 0; start <= length; start++) {
            int[] counts = new int[weights.size()];
            for (int i = start; i < start + length; i++) {
                counts[sequence[i]]++;
            }
            assertArrayEquals(reduced, counts, "picks in the window from " + start);
        }
    }

    /**
     * nginx's order is smooth, not minimal in repeats: in every window of k consecutive picks each
     * backend gets its share k * w / W within less than 2 picks (a plain weighted round robin sends
     * a backend's w turns in one burst), so a backend runs r times in a row only while r is below
     * 2W / (W - w); with a weight above half, runs are forced anyway. It does not always avoid a
     * repeat that a perfect order could (weights 1, 6, 8 give ... 0 1 2 2 1 ...): measured, the
     * longest run exceeds the minimum ceil(w / (W - w)) by up to 7 over 20,000 random weight sets.
     */
    @Property(tries = 100)
    void shouldStayWithinTwoPicksOfEveryBackendsShareInEveryWindowSoNoBursts(
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 60) Integer> weights) {
        int[] reduced = new int[weights.size()];
        int length = cycleLength(weights, reduced);
        int[] sequence = picks(policy().rebuild(weighted(weights), null), length);
        for (int b = 0; b < reduced.length; b++) {
            int run = 0;
            int longest = 0;
            for (int start = 0; start < length; start++) {
                int count = 0;
                for (int k = 1; k <= length; k++) {
                    if (sequence[(start + k - 1) % length] == b) {
                        count++;
                    }
                    double share = (double) k * reduced[b] / length;
                    if (Math.abs(count - share) >= 2) { // the message only on failure: this loop is hot
                        fail("backend " + b + " got " + count + " of " + k + " picks, share " + share + ": "
                                + java.util.Arrays.toString(sequence));
                    }
                }
            }
            for (int k = 0; k < 2 * length; k++) {
                run = sequence[k % length] == b ? run + 1 : 0;
                longest = Math.max(longest, run);
            }
            if (reduced[b] < length) {
                assertTrue(longest < 2.0 * length / (length - reduced[b]), "run of " + longest + " for " + b);
            }
        }
    }

    @Property(tries = 100)
    void shouldPickExactlyAsNginxsLockedStepDoes(
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 60) Integer> weights) {
        int[] reduced = new int[weights.size()];
        int length = cycleLength(weights, reduced);
        List<BalancingPolicy.Candidate> candidates = weighted(weights);
        BalancingPolicy.Selection cycle = new SmoothWeightedRoundRobin().rebuild(candidates, null);
        BalancingPolicy.Selection stepper = new SmoothWeightedRoundRobin(SlowStart.off(), 0).rebuild(candidates, null);
        assertEquals(SmoothWeightedRoundRobin.Stepper.class, stepper.getClass());
        assertArrayEquals(picks(cycle, 2 * length), picks(stepper, 2 * length));
    }
}
