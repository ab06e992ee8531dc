package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy.Candidate;
import io.lb4j.internal.Durations;
import java.time.Duration;
import java.util.Arrays;

/**
 * Small steps the built-in policies share: the usable positions at a rebuild, and a fallback order
 * that continues round the usable backends. Static and allocation-free, so picks can call them.
 */
final class Policies {
    private Policies() {
    }

    /** Positions of the candidates usable now. */
    static int[] usablePositions(Candidate[] all) {
        int count = 0;
        int[] positions = new int[all.length];
        for (int i = 0; i < all.length; i++) {
            if (all[i].usable()) {
                positions[count++] = i;
            }
        }
        return Arrays.copyOf(positions, count);
    }

    /**
     * Writes {@code usable[first]} and then the following usable entries round the array, skipping
     * any no longer usable.
     *
     * @return positions written
     */
    static int rotation(Candidate[] candidates, int[] usable, int first, int[] order) {
        int n = usable.length;
        int written = 0;
        for (int i = 0; i < n && written < order.length; i++) {
            int u = first + i;
            int position = usable[u >= n ? u - n : u];
            if (candidates[position].usable()) {
                order[written++] = position;
            }
        }
        return written;
    }

    /** The slow-start window in nanoseconds, checked. */
    static long slowStartNs(Duration window) {
        return Durations.positive("slowStart", window).toNanos();
    }
}
