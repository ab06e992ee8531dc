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

    /** Whether {@link Selection#explain} foretells the next pick exactly (not for random policies). */
    default boolean explainForetellsPick() {
        return true;
    }

    @Property(tries = 150)
    default void shouldExplainExactlyWhatTheNextPickChoosesWithoutChangingState(
            @ForAll("pools") List<Spec> specs, @ForAll @IntRange(min = 0, max = 40) int picksBefore,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int clientIp,
            @ForAll @IntRange(min = 1, max = 65535) int clientPort) {
        List<Candidate> candidates = candidates(specs);
        Selection selection = policy().rebuild(candidates, null);
        Selection untouched = policy().rebuild(candidates, null);
        int n = candidates.size();
        for (int i = 0; i < picksBefore; i++) {
            selection.pick(TestFlow.of(clientIp + i, clientPort, 80), new int[Math.max(1, n)]);
            untouched.pick(TestFlow.of(clientIp + i, clientPort, 80), new int[Math.max(1, n)]);
        }
        for (int k = 0; k < 4; k++) {
            TestFlow flow = TestFlow.of(clientIp ^ (k * 0x9e3779b9), clientPort, 443);
            int[] asked = new int[n];
            int[] notAsked = new int[n];
            selection.explain(flow, new int[n]);
            assertEquals(positions(notAsked, untouched.pick(flow, notAsked)), positions(asked, selection.pick(flow, asked)),
                    "a pick after explain is the pick it would have been without (asking changed nothing)");
        }
        if (!explainForetellsPick()) {
            return;
        }
        for (int k = 0; k < 4; k++) {
            TestFlow flow = TestFlow.of(clientIp ^ (k * 0x9e3779b9), clientPort, 443);
            int[] first = new int[n];
            int[] again = new int[n];
            int explained = selection.explain(flow, first);
            int explainedAgain = selection.explain(flow, again);
            assertEquals(positions(first, explained), positions(again, explainedAgain),
                    "asking twice gives the same answer (asking changed nothing)");
            List<Integer> usableExplained = new ArrayList<>();
            for (int position : positions(first, explained)) {
                if (candidates.get(position).usable()) {
                    usableExplained.add(position);
                }
            }
            int[] picked = new int[n];
            int count = selection.pick(flow, picked);
            assertEquals(positions(picked, count), usableExplained,
                    "the usable candidates of explain, in its order, are the pick's order");
        }
    }

    private static List<Integer> positions(int[] order, int count) {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(order[i]);
        }
        return list;
    }
}
