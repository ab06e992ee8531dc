package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Weighted least connections: the usable backend with the fewest active connections per unit of
 * weight, compared as cross products so no division is needed. The scan starts at a rotating offset,
 * so backends tied on load (an idle pool) share new connections instead of all going to the first.
 * O(backends) per pick and per fallback written, lock-free: one atomic read per backend.
 */
public final class LeastConnections implements BalancingPolicy {
    private final SlowStart slowStart;

    /** No slow start. */
    public LeastConnections() {
        this(SlowStart.off());
    }

    LeastConnections(SlowStart slowStart) {
        this.slowStart = slowStart;
    }

    /** With slow start over {@code windowNs}, on {@code clock}. */
    static LeastConnections withSlowStart(long windowNs, LongSupplier clock) {
        return new LeastConnections(new SlowStart(windowNs, clock));
    }

    @Override
    public String name() {
        return "least-connections";
    }

    @Override
    public BalancingPolicy withSlowStart(Duration window) {
        return new LeastConnections(new SlowStart(Policies.slowStartNs(window), System::nanoTime));
    }

    @Override
    public Selection rebuild(List<Candidate> candidates, Selection previous) {
        AtomicInteger cursor = previous instanceof Picker ? ((Picker) previous).cursor : new AtomicInteger();
        Candidate[] all = candidates.toArray(new Candidate[0]);
        return new Picker(all, Policies.usablePositions(all), cursor, slowStart);
    }

    static final class Picker implements Selection {
        private final Candidate[] candidates;
        private final int[] usable;
        final AtomicInteger cursor;
        private final SlowStart slowStart;

        Picker(Candidate[] candidates, int[] usable, AtomicInteger cursor, SlowStart slowStart) {
            this.candidates = candidates;
            this.usable = usable;
            this.cursor = cursor;
            this.slowStart = slowStart;
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
            long now = slowStart.now();
            int written = 0;
            while (written < order.length) {
                int best = -1;
                long bestActive = 0;
                long bestWeight = 1;
                for (int i = 0; i < n; i++) {
                    int u = start + i;
                    int position = usable[u >= n ? u - n : u];
                    Candidate c = candidates[position];
                    if (!c.usable() || contains(order, written, position)) {
                        continue;
                    }
                    long active = c.activeConnections();
                    long weight = slowStart.weight(c, now);
                    // active / weight < bestActive / bestWeight, without dividing
                    if (best < 0 || active * bestWeight < bestActive * weight) {
                        best = position;
                        bestActive = active;
                        bestWeight = weight;
                    }
                }
                if (best < 0) {
                    break;
                }
                order[written++] = best;
            }
            return written;
        }
    }

    static boolean contains(int[] order, int count, int position) {
        for (int i = 0; i < count; i++) {
            if (order[i] == position) {
                return true;
            }
        }
        return false;
    }
}
