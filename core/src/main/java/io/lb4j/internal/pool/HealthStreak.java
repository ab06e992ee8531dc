package io.lb4j.internal.pool;

import io.lb4j.HealthState;

/**
 * The threshold rule of active health checks for one backend: consecutive successes and failures,
 * and the state they lead to. Kept apart from the prober so that the rule is pure and tested on its
 * own; owned by the backend's probing loop (not thread-safe).
 *
 * <p>From {@link HealthState#UNKNOWN} the first result decides at once; from {@code UP} exactly
 * {@code unhealthyThreshold} consecutive failures mark it down; from {@code DOWN} exactly
 * {@code healthyThreshold} consecutive successes mark it up. Streaks run across state changes.
 */
public final class HealthStreak {
    private int successes;
    private int failures;

    /**
     * Records one probe result.
     *
     * @param now the backend's health before this result
     * @param passed the result
     * @param unhealthyThreshold consecutive failures that mark an up backend down, >= 1
     * @param healthyThreshold consecutive successes that mark a down backend up, >= 1
     * @return the health after this result (may equal {@code now})
     */
    public HealthState record(HealthState now, boolean passed, int unhealthyThreshold, int healthyThreshold) {
        if (passed) {
            failures = 0;
            successes++;
            return now == HealthState.UNKNOWN || (now == HealthState.DOWN && successes >= healthyThreshold)
                    ? HealthState.UP : now;
        }
        successes = 0;
        failures++;
        return now == HealthState.UNKNOWN || (now == HealthState.UP && failures >= unhealthyThreshold)
                ? HealthState.DOWN : now;
    }

    /** Forgets both streaks: after a passive mark-down, the probe must pass the healthy threshold anew. */
    public void reset() {
        successes = 0;
        failures = 0;
    }

    /** Consecutive failures so far. */
    public int failures() {
        return failures;
    }

    /** Consecutive successes so far. */
    public int successes() {
        return successes;
    }
}
