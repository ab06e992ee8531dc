package io.lb4j.internal.pool;

import io.lb4j.BalancerStats;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One backend's probe counters: how many probes finished, how long they took in all, and the failed
 * ones by reason. Written once per probe (seconds apart) on the backend's loop, read by
 * {@code stats()} from any thread, so plain atomics cost nothing that matters.
 */
public final class ProbeFigures {
    /** Index in {@link BalancerStats.ProbeStats#FAILURE_REASONS} of a passed probe: none. */
    public static final int PASSED = -1;

    private final AtomicLong checks = new AtomicLong();
    private final AtomicLong nanos = new AtomicLong();
    private final AtomicLongArray failures = new AtomicLongArray(BalancerStats.ProbeStats.FAILURE_REASONS.size());

    /** One probe finished after {@code durationNs}; {@code failure} is a reason's index or {@link #PASSED}. */
    public void record(long durationNs, int failure) {
        nanos.addAndGet(Math.max(0, durationNs));
        if (failure != PASSED) {
            failures.incrementAndGet(failure);
        }
        checks.incrementAndGet();
    }

    /** The figures now. */
    public BalancerStats.ProbeStats snapshot() {
        Map<String, Long> byReason = new LinkedHashMap<>();
        for (int i = 0; i < failures.length(); i++) {
            byReason.put(BalancerStats.ProbeStats.FAILURE_REASONS.get(i), failures.get(i));
        }
        return new BalancerStats.ProbeStats(checks.get(), nanos.get(), byReason);
    }
}
