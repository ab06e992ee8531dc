package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Round robin over the backends usable at the last rebuild, ignoring weights. The cursor carries over
 * rebuilds, so a health flap does not send the next connections back to the first backend.
 */
public final class RoundRobin implements BalancingPolicy {

    @Override
    public String name() {
        return "round-robin";
    }

    @Override
    public Selection rebuild(List<Candidate> candidates, Selection previous) {
        AtomicInteger cursor = previous instanceof Picker ? ((Picker) previous).cursor : new AtomicInteger();
        return new Picker(candidates.toArray(new Candidate[0]), cursor);
    }

    private static final class Picker implements Selection {
        private final Candidate[] candidates;
        private final int[] usable;
        private final AtomicInteger cursor;

        Picker(Candidate[] candidates, AtomicInteger cursor) {
            this.candidates = candidates;
            this.cursor = cursor;
            this.usable = Policies.usablePositions(candidates);
        }

        @Override
        public int pick(Flow flow, int[] order) {
            return from(cursor.getAndIncrement(), order);
        }

        @Override
        public int explain(Flow flow, int[] order) {
            return from(cursor.get(), order);
        }

        private int from(int turn, int[] order) {
            int n = usable.length;
            if (n == 0) {
                return 0;
            }
            return Policies.rotation(candidates, usable, Integer.remainderUnsigned(turn, n), order);
        }
    }
}
