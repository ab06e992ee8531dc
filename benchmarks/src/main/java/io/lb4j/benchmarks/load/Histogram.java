package io.lb4j.benchmarks.load;

/**
 * Latency counts at one-microsecond resolution up to 200 ms, with one overflow bucket: exact
 * percentiles for the range a balancer lives in, with no allocation per recorded value.
 */
final class Histogram {
    private static final int MAX_US = 200_000;

    private final long[] counts = new long[MAX_US + 1];
    private long total;

    /** Records one latency in nanoseconds. */
    void record(long ns) {
        long us = ns / 1000;
        counts[(int) Math.min(Math.max(us, 0), MAX_US)]++;
        total++;
    }

    /** Values recorded. */
    long count() {
        return total;
    }

    /** Forgets everything (end of warm-up). */
    void reset() {
        java.util.Arrays.fill(counts, 0);
        total = 0;
    }

    /** The {@code p}-th percentile (0 &lt; p &le; 100) in microseconds; -1 when empty; 200000 = "at least". */
    long percentileUs(double p) {
        if (total == 0) {
            return -1;
        }
        long rank = (long) Math.ceil(total * p / 100.0);
        long seen = 0;
        for (int i = 0; i <= MAX_US; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return i;
            }
        }
        return MAX_US;
    }
}
