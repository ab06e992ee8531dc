package io.lb4j.internal.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.BalancingPolicy;
import io.lb4j.BalancingPolicy.Candidate;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class LeastConnectionsProperties implements BalancingPolicyContract {

    @Override
    public BalancingPolicy policy() {
        return BalancingPolicy.leastConnections();
    }

    /** active(a) / weight(a) <= active(b) / weight(b). */
    static boolean notMoreLoaded(Candidate a, Candidate b) {
        return (long) a.activeConnections() * b.weight() <= (long) b.activeConnections() * a.weight();
    }

    @Property(tries = 300)
    void shouldPickTheLeastLoadedPerWeightFirstAndTheRestInIncreasingLoad(@ForAll("pools") List<Spec> specs) {
        List<Candidate> candidates = BalancingPolicyContract.candidates(specs);
        BalancingPolicy.Selection selection = policy().rebuild(candidates, null);
        int[] order = new int[candidates.size()];
        int written = selection.pick(TestFlow.of(1, 2, 3), order);
        for (int i = 0; i < written; i++) {
            Candidate picked = candidates.get(order[i]);
            for (int j = i + 1; j < written; j++) {
                assertTrue(notMoreLoaded(picked, candidates.get(order[j])), picked + " before " + candidates.get(order[j]));
            }
        }
        if (written > 0) {
            for (Candidate c : candidates) {
                if (c.usable()) {
                    assertTrue(notMoreLoaded(candidates.get(order[0]), c), candidates.get(order[0]) + " picked over " + c);
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void shouldShareNewConnectionsEvenlyAcrossAnIdlePool() {
        PolicySimulator.Report report = new PolicySimulator(policy(), 0).replay(
                "join 10.0.0.1:80 1\njoin 10.0.0.2:80 1\njoin 10.0.0.3:80 2\nconnect 400");
        org.junit.jupiter.api.Assertions.assertEquals(
                java.util.Map.of("10.0.0.1:80", 100, "10.0.0.2:80", 100, "10.0.0.3:80", 200), report.active());
    }
}
