package io.lb4j.internal.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.BalancingPolicy;
import io.lb4j.BalancingPolicy.Candidate;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class PowerOfTwoProperties implements BalancingPolicyContract {

    @Override
    public BalancingPolicy policy() {
        return new PowerOfTwo(SlowStart.off(), new SplittableRandom(42));
    }

    @Override
    public boolean explainForetellsPick() {
        return false; // random draws: explain shows one possible answer
    }

    @Property(tries = 300)
    void shouldPutTheLessLoadedOfItsTwoChoicesFirstAndNeverTheUniqueMostLoaded(
            @ForAll("pools") List<Spec> specs, @ForAll long seed) {
        List<Candidate> candidates = BalancingPolicyContract.candidates(specs);
        BalancingPolicy.Selection selection =
                new PowerOfTwo(SlowStart.off(), new SplittableRandom(seed)).rebuild(candidates, null);
        List<Candidate> usable = candidates.stream().filter(Candidate::usable).toList();
        for (int k = 0; k < 20; k++) {
            int[] order = new int[2];
            int written = selection.pick(TestFlow.of(1, 2, 3), order);
            assertEquals(Math.min(2, usable.size()), written);
            if (written < 2) {
                continue;
            }
            Candidate first = candidates.get(order[0]);
            Candidate second = candidates.get(order[1]);
            assertTrue(LeastConnectionsProperties.notMoreLoaded(first, second), first + " before " + second);
            boolean uniqueMax = usable.stream().allMatch(c -> c == first || !LeastConnectionsProperties.notMoreLoaded(first, c));
            assertTrue(!uniqueMax, "picked the unique most loaded " + first);
        }
    }

    @Property(tries = 50)
    void shouldPickTheMinimumWhenOnlyTwoAreUsable(@ForAll("pools") List<Spec> specs, @ForAll long seed) {
        List<Candidate> candidates = BalancingPolicyContract.candidates(specs);
        List<Candidate> usable = candidates.stream().filter(Candidate::usable).toList();
        if (usable.size() != 2) {
            return;
        }
        int[] order = new int[1];
        new PowerOfTwo(SlowStart.off(), new SplittableRandom(seed)).rebuild(candidates, null).pick(TestFlow.of(1, 2, 3), order);
        Candidate picked = candidates.get(order[0]);
        for (Candidate c : usable) {
            assertTrue(LeastConnectionsProperties.notMoreLoaded(picked, c), picked + " over " + c);
        }
    }
}
