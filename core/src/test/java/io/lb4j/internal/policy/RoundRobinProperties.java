package io.lb4j.internal.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.lb4j.BalancingPolicy;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class RoundRobinProperties implements BalancingPolicyContract {

    @Override
    public BalancingPolicy policy() {
        return BalancingPolicy.roundRobin();
    }

    @Property(tries = 100)
    void shouldGiveEachUsableBackendOneTurnPerCycleNeverTwiceInARow(
            @ForAll @IntRange(min = 1, max = 20) int n, @ForAll @IntRange(min = 0, max = 50) int skipped) {
        List<BalancingPolicy.Candidate> candidates = new ArrayList<>(TestCandidate.pool(n));
        BalancingPolicy.Selection selection = policy().rebuild(candidates, null);
        int[] order = new int[1];
        for (int i = 0; i < skipped; i++) {
            selection.pick(TestFlow.of(1, 1, 1), order);
        }
        int previous = -1;
        for (int cycle = 0; cycle < 3; cycle++) {
            int[] counts = new int[n];
            for (int i = 0; i < n; i++) {
                selection.pick(TestFlow.of(1, 1, 1), order);
                counts[order[0]]++;
                if (n > 1) {
                    assertNotEquals(previous, order[0], "same backend twice in a row");
                }
                previous = order[0];
            }
            for (int c : counts) {
                assertEquals(1, c, "turns per cycle");
            }
        }
    }
}
