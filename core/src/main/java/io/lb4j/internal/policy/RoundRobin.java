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
            int count = 0;
            int[] positions = new int[candidates.length];
            for (int i = 0; i < candidates.length; i++) {
                if (candidates[i].usable()) {
                    positions[count++] = i;
                }
            }
            this.usable = java.util.Arrays.copyOf(positions, count);
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
            int start = Integer.remainderUnsigned(turn, n);
            int written = 0;
            for (int i = 0; i < n && written < order.length; i++) {
                int position = usable[(start + i) % n];
                if (candidates[position].usable()) {
                    order[written++] = position;
                }
            }
            return written;
        }
    }
}
