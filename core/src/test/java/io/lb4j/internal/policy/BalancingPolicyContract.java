package io.lb4j.internal.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.BalancingPolicy;
import io.lb4j.BalancingPolicy.Candidate;
import io.lb4j.BalancingPolicy.Selection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * What every balancing policy promises, as properties; each policy's {@code XxxProperties} class
 * implements this interface and supplies {@link #policy()}.
 */
interface BalancingPolicyContract {

    /** A fresh policy under test. */
    BalancingPolicy policy();

    /** One generated backend: weight, usable, active connections. */
    record Spec(int weight, boolean usable, int active) {
    }

    @Provide
    default Arbitrary<List<Spec>> pools() {
        Arbitrary<Spec> spec = Combinators.combine(
                Arbitraries.integers().between(1, 1000),
                Arbitraries.frequency(net.jqwik.api.Tuple.of(4, true), net.jqwik.api.Tuple.of(1, false)),
                Arbitraries.integers().between(0, 50)).as(Spec::new);
        return spec.list().ofMinSize(0).ofMaxSize(24);
    }

    static List<Candidate> candidates(List<Spec> specs) {
        List<Candidate> list = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            TestCandidate c = new TestCandidate(TestCandidate.name(i), specs.get(i).weight());
            c.usable = specs.get(i).usable();
            c.active = specs.get(i).active();
            list.add(c);
        }
        return list;
    }

    @Property(tries = 200)
    default void shouldWriteOnlyDistinctUsablePositionsAndAsManyAsFit(
            @ForAll("pools") List<Spec> specs, @ForAll @IntRange(min = 1, max = 30) int orderLength,
            @ForAll @IntRange(min = 0, max = 65535) int port) {
        List<Candidate> candidates = candidates(specs);
        Selection selection = policy().rebuild(candidates, null);
        long usable = specs.stream().filter(Spec::usable).count();
        for (int k = 0; k < 5; k++) {
            int[] order = new int[orderLength];
            int written = selection.pick(TestFlow.of(0x0a000000 + k * 7919 + port, port, 80), order);
            assertEquals(Math.min(orderLength, usable), written, "positions written");
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < written; i++) {
                int position = order[i];
                assertTrue(position >= 0 && position < candidates.size(), "position in range: " + position);
                assertTrue(candidates.get(position).usable(), "usable: " + candidates.get(position));
                assertTrue(seen.add(position), "repeated: " + position);
            }
        }
    }

    @Property(tries = 100)
    default void shouldNeverPickAnUnusableBackendAfterHealthChangesAndARebuild(
            @ForAll("pools") List<Spec> specs, @ForAll @IntRange(min = 0, max = 23) int flip) {
        List<Candidate> candidates = candidates(specs);
        BalancingPolicy policy = policy();
        Selection first = policy.rebuild(candidates, null);
        if (flip < candidates.size()) {
            TestCandidate c = (TestCandidate) candidates.get(flip);
            c.usable = !c.usable;
        }
        Selection second = policy.rebuild(candidates, first);
        int[] order = new int[candidates.size() + 1];
        int written = second.pick(TestFlow.of(0x0b000001 + flip, 40000 + flip, 80), order);
        long usable = candidates.stream().filter(Candidate::usable).count();
        assertEquals(usable, written, "a long enough order covers every usable backend");
        for (int i = 0; i < written; i++) {
            assertTrue(candidates.get(order[i]).usable(), "usable: " + candidates.get(order[i]));
        }
    }
}
