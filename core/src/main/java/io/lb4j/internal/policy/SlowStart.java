package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy.Candidate;
import java.util.function.LongSupplier;

/**
 * The weight a policy should use for a backend now: its configured weight, scaled down linearly
 * (from 5%) while the backend is inside its slow-start window after turning up. Kept apart from the
 * policies so that the ramp is one rule, and the clock can be replaced in tests.
 */
final class SlowStart {
    /** Weights are scaled by this, so a ramping weight-1 backend keeps a fraction. */
    static final long SCALE = 1024;
    private static final double FLOOR = 0.05;

    private final long windowNs;
    private final LongSupplier clock;

    /**
     * @param windowNs ramp length; 0 = off
     * @param clock the {@link System#nanoTime()} time base that {@link Candidate#upSinceNanos()} uses
     */
    SlowStart(long windowNs, LongSupplier clock) {
        this.windowNs = windowNs;
        this.clock = clock;
    }

    static SlowStart off() {
        return new SlowStart(0, System::nanoTime);
    }

    boolean on() {
        return windowNs > 0;
    }

    long windowNs() {
        return windowNs;
    }

    long now() {
        return windowNs > 0 ? clock.getAsLong() : 0;
    }

    /** Whether {@code c} is still ramping at {@code nowNs}. */
    boolean ramping(Candidate c, long nowNs) {
        long up = c.upSinceNanos();
        return windowNs > 0 && up != Long.MIN_VALUE && nowNs - up < windowNs;
    }

    /** The weight of {@code c} at {@code nowNs}, times {@link #SCALE}; at least 1. */
    long weight(Candidate c, long nowNs) {
        long full = c.weight() * SCALE;
        if (!ramping(c, nowNs)) {
            return full;
        }
        double fraction = Math.max(FLOOR, (double) Math.max(0, nowNs - c.upSinceNanos()) / windowNs);
        return Math.max(1, (long) (full * fraction));
    }
}
