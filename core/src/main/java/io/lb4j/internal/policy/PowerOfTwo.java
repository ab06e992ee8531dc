package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Power of two choices (Mitzenmacher): two distinct usable backends at random, the one with fewer
 * active connections per unit of weight first, the other second, then the rest round from the first.
 * O(1) per pick and nearly as even as least connections, without its herd on the emptiest backend
 * when many loops pick at once; the random source is the calling thread's unless a test injects one.
 */
public final class PowerOfTwo implements BalancingPolicy {
    private final SlowStart slowStart;
    private final RandomGenerator random;

    /** No slow start, the thread's own random source. */
    public PowerOfTwo() {
        this(SlowStart.off(), null);
    }

    /**
     * @param slowStart the ramp
     * @param random a fixed random source (tests; not thread-safe then), or {@code null} for
     *     {@link ThreadLocalRandom}
     */
    PowerOfTwo(SlowStart slowStart, RandomGenerator random) {
        this.slowStart = slowStart;
        this.random = random;
    }

    /** With slow start over {@code windowNs}, on {@code clock}, and {@code random} (or null). */
    static PowerOfTwo withSlowStart(long windowNs, LongSupplier clock, RandomGenerator random) {
        return new PowerOfTwo(new SlowStart(windowNs, clock), random);
    }

    @Override
    public String name() {
        return "power-of-two";
    }

    @Override
    public BalancingPolicy withSlowStart(Duration window) {
        return new PowerOfTwo(new SlowStart(Policies.slowStartNs(window), System::nanoTime), random);
    }

    @Override
    public Selection rebuild(List<Candidate> candidates, Selection previous) {
        Candidate[] all = candidates.toArray(new Candidate[0]);
        return new Picker(all, Policies.usablePositions(all), slowStart, random);
    }

    static final class Picker implements Selection {
        private final Candidate[] candidates;
        private final int[] usable;
        private final SlowStart slowStart;
        private final RandomGenerator random;

        Picker(Candidate[] candidates, int[] usable, SlowStart slowStart, RandomGenerator random) {
            this.candidates = candidates;
            this.usable = usable;
            this.slowStart = slowStart;
            this.random = random;
        }

        @Override
        public int pick(Flow flow, int[] order) {
            int n = usable.length;
            if (n == 0 || order.length == 0) {
                return 0;
            }
            RandomGenerator r = random != null ? random : ThreadLocalRandom.current();
            int a = r.nextInt(n);
            int b = a;
            if (n > 1) {
                b = r.nextInt(n - 1);
                if (b >= a) {
                    b++;
                }
                long now = slowStart.now();
                Candidate ca = candidates[usable[a]];
                Candidate cb = candidates[usable[b]];
                // b goes first only when strictly less loaded per weight (or a is no longer usable)
                if (!ca.usable() || (cb.usable() && (long) cb.activeConnections() * slowStart.weight(ca, now)
                        < (long) ca.activeConnections() * slowStart.weight(cb, now))) {
                    int t = a;
                    a = b;
                    b = t;
                }
            }
            int written = 0;
            written = add(usable[a], order, written);
            if (n > 1) {
                written = add(usable[b], order, written);
            }
            for (int i = 1; i < n && written < order.length; i++) {
                int u = a + i;
                int position = usable[u >= n ? u - n : u];
                if (position != usable[b]) {
                    written = add(position, order, written);
                }
            }
            return written;
        }

        /**
         * Power of two draws at random, so no later pick can be foretold: this shows one draw from a
         * fresh source (never the shared or injected one), so asking changes nothing.
         */
        @Override
        public int explain(Flow flow, int[] order) {
            return new Picker(candidates, usable, slowStart, new SplittableRandom()).pick(flow, order);
        }

        private int add(int position, int[] order, int written) {
            if (written < order.length && candidates[position].usable()) {
                order[written++] = position;
            }
            return written;
        }
    }
}
