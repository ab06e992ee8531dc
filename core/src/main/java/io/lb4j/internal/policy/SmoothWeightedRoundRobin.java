package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Smooth weighted round robin as nginx does it (each pick: every backend's current weight grows by its
 * weight, the largest wins and drops by the total), which spreads a heavy backend's turns instead of
 * sending them in a burst. The rebuild runs nginx's steps once for a whole cycle, so a pick is one
 * atomic increment and an array read, lock-free; only while a backend ramps up (slow start) or when a
 * cycle would be too big to precompute does a pick run nginx's step itself, in a short synchronized
 * section (PolicyPickBenchmark measures both).
 */
public final class SmoothWeightedRoundRobin implements BalancingPolicy {
    /** Precompute the cycle while weights-total times backends stays below this (about 50 ms of work). */
    static final long MAX_CYCLE_WORK = 1L << 26;

    private final SlowStart slowStart;
    private final long maxCycleWork;

    /** No slow start. */
    public SmoothWeightedRoundRobin() {
        this(SlowStart.off(), MAX_CYCLE_WORK);
    }

    SmoothWeightedRoundRobin(SlowStart slowStart, long maxCycleWork) {
        this.slowStart = slowStart;
        this.maxCycleWork = maxCycleWork;
    }

    /** With slow start over {@code windowNs}, on {@code clock}. */
    static SmoothWeightedRoundRobin withSlowStart(long windowNs, LongSupplier clock) {
        return new SmoothWeightedRoundRobin(new SlowStart(windowNs, clock), MAX_CYCLE_WORK);
    }

    @Override
    public String name() {
        return "weighted-round-robin";
    }

    @Override
    public BalancingPolicy withSlowStart(Duration window) {
        return new SmoothWeightedRoundRobin(new SlowStart(Policies.slowStartNs(window), System::nanoTime),
                maxCycleWork);
    }

    @Override
    public Selection rebuild(List<Candidate> candidates, Selection previous) {
        Candidate[] all = candidates.toArray(new Candidate[0]);
        int[] usable = Policies.usablePositions(all);
        AtomicLong cursor = previous instanceof Cycle ? ((Cycle) previous).cursor : new AtomicLong();
        int n = usable.length;
        int[] weights = new int[n];
        int gcd = 0;
        long total = 0;
        boolean ramping = false;
        long now = slowStart.now();
        for (int i = 0; i < n; i++) {
            weights[i] = all[usable[i]].weight();
            gcd = gcd(gcd, weights[i]);
            ramping |= slowStart.ramping(all[usable[i]], now);
        }
        for (int i = 0; i < n; i++) {
            weights[i] /= gcd;
            total += weights[i];
        }
        if (ramping || total * n > maxCycleWork) {
            return new Stepper(all, usable, slowStart);
        }
        return new Cycle(all, usable, cycle(weights, total), cursor);
    }

    /** nginx's sequence for one full cycle: indices into the weights, {@code total} of them. */
    static int[] cycle(int[] weights, long total) {
        int n = weights.length;
        int[] sequence = new int[(int) total];
        long[] current = new long[n];
        for (int k = 0; k < sequence.length; k++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                current[i] += weights[i];
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            sequence[k] = best;
        }
        return sequence;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** The precomputed cycle; one atomic increment per pick. */
    static final class Cycle implements Selection {
        private final Candidate[] candidates;
        private final int[] usable;
        private final int[] sequence;
        final AtomicLong cursor;

        Cycle(Candidate[] candidates, int[] usable, int[] sequence, AtomicLong cursor) {
            this.candidates = candidates;
            this.usable = usable;
            this.sequence = sequence;
            this.cursor = cursor;
        }

        @Override
        public int pick(Flow flow, int[] order) {
            if (sequence.length == 0) {
                return 0;
            }
            int first = sequence[(int) Long.remainderUnsigned(cursor.getAndIncrement(), sequence.length)];
            return Policies.rotation(candidates, usable, first, order);
        }

        @Override
        public int explain(Flow flow, int[] order) {
            if (sequence.length == 0) {
                return 0;
            }
            int first = sequence[(int) Long.remainderUnsigned(cursor.get(), sequence.length)];
            return Policies.rotation(candidates, usable, first, order);
        }
    }

    /** nginx's step per pick, in a short critical section; used while weights change with time. */
    static final class Stepper implements Selection {
        private final Candidate[] candidates;
        private final int[] usable;
        private final long[] current;
        private final SlowStart slowStart;

        Stepper(Candidate[] candidates, int[] usable, SlowStart slowStart) {
            this.candidates = candidates;
            this.usable = usable;
            this.current = new long[usable.length];
            this.slowStart = slowStart;
        }

        @Override
        public int pick(Flow flow, int[] order) {
            return step(order, true);
        }

        @Override
        public int explain(Flow flow, int[] order) {
            return step(order, false);
        }

        /** nginx's step; {@code commit} false computes the winner on a copy and leaves the state as is. */
        private int step(int[] order, boolean commit) {
            long now = slowStart.now();
            int best = -1;
            synchronized (current) {
                long[] weights = commit ? current : current.clone();
                long total = 0;
                for (int i = 0; i < usable.length; i++) {
                    Candidate c = candidates[usable[i]];
                    if (!c.usable()) {
                        continue;
                    }
                    long weight = slowStart.weight(c, now);
                    weights[i] += weight;
                    total += weight;
                    if (best < 0 || weights[i] > weights[best]) {
                        best = i;
                    }
                }
                if (best >= 0) {
                    weights[best] -= total;
                }
            }
            return best < 0 ? 0 : Policies.rotation(candidates, usable, best, order);
        }
    }
}
