package io.lb4j.internal.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.HealthState;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class HealthStreakProperties {

    /**
     * The model, stated without counters: after result i the health is set by the latest of these
     * events at or before i: the first result (pass: up, fail: down); a run of exactly
     * {@code unhealthy} failures ending at j (down, when that run starts while up or from its end,
     * which the "latest event" reading captures: a run of n >= N failures contains an event at its
     * N-th); a run of {@code healthy} passes ending at j (up).
     */
    private static HealthState model(List<Boolean> results, int i, int unhealthy, int healthy) {
        for (int j = i; j >= 0; j--) {
            boolean passed = results.get(j);
            int need = passed ? healthy : unhealthy;
            if (j == 0 || (j + 1 >= need && sameRun(results, j - need + 1, j, passed))) {
                return passed ? HealthState.UP : HealthState.DOWN;
            }
        }
        throw new AssertionError("unreachable");
    }

    private static boolean sameRun(List<Boolean> results, int from, int to, boolean value) {
        for (int k = from; k <= to; k++) {
            if (results.get(k) != value) {
                return false;
            }
        }
        return true;
    }

    @Property
    void shouldFollowTheThresholdModelFromUnknown(@ForAll @Size(min = 1, max = 40) List<Boolean> results,
                                                  @ForAll @IntRange(min = 1, max = 5) int unhealthy,
                                                  @ForAll @IntRange(min = 1, max = 5) int healthy) {
        HealthStreak streak = new HealthStreak();
        HealthState state = HealthState.UNKNOWN;
        for (int i = 0; i < results.size(); i++) {
            state = streak.record(state, results.get(i), unhealthy, healthy);
            assertEquals(model(results, i, unhealthy, healthy), state, "after result " + i + " of " + results);
        }
    }

    @Property
    void shouldMarkDownAfterExactlyNFailuresAndUpAfterExactlyMSuccesses(
            @ForAll @IntRange(min = 1, max = 6) int unhealthy, @ForAll @IntRange(min = 1, max = 6) int healthy) {
        HealthStreak streak = new HealthStreak();
        HealthState state = HealthState.UP;
        for (int i = 1; i <= unhealthy; i++) {
            state = streak.record(state, false, unhealthy, healthy);
            assertEquals(i == unhealthy ? HealthState.DOWN : HealthState.UP, state, "after failure " + i);
        }
        for (int i = 1; i <= healthy; i++) {
            state = streak.record(state, true, unhealthy, healthy);
            assertEquals(i == healthy ? HealthState.UP : HealthState.DOWN, state, "after success " + i);
        }
    }

    @Property
    void shouldNeverLeaveUpOnASuccessNorDownOnAFailure(@ForAll @Size(max = 40) List<Boolean> results,
                                                       @ForAll @IntRange(min = 1, max = 5) int unhealthy,
                                                       @ForAll @IntRange(min = 1, max = 5) int healthy) {
        HealthStreak streak = new HealthStreak();
        HealthState state = HealthState.DOWN;
        for (boolean passed : results) {
            HealthState next = streak.record(state, passed, unhealthy, healthy);
            if (next != state) {
                assertEquals(passed ? HealthState.UP : HealthState.DOWN, next);
            }
            state = next;
        }
    }
}
