package io.lb4j.internal;

import java.lang.System.Logger.Level;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one sink for faults caught where they happen (event loops, probes, registries, listeners):
 * counts every one by kind and logs at most one line per kind per interval, so a storm of resets
 * cannot flood the log.
 */
public final class Faults {
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    private static final long LOG_INTERVAL_NS = 10_000_000_000L;

    private final ConcurrentHashMap<String, Kind> kinds = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();

    private static final class Kind {
        final LongAdder count = new LongAdder();
        final AtomicLong lastLogNs = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NS);
    }

    /** Counts {@code t} under {@code where} and logs it unless this kind was logged recently. */
    public void record(String where, Throwable t) {
        total.increment();
        String name = where + ": " + t.getClass().getSimpleName();
        Kind kind = kinds.computeIfAbsent(name, k -> new Kind());
        kind.count.increment();
        long now = System.nanoTime();
        long last = kind.lastLogNs.get();
        if (now - last >= LOG_INTERVAL_NS && kind.lastLogNs.compareAndSet(last, now)) {
            LOG.log(Level.WARNING, name + ": " + t.getMessage() + " (" + kind.count.sum() + " so far)");
        }
    }

    /** Faults recorded since start. */
    public long total() {
        return total.sum();
    }

    /** Faults recorded under one {@code where} prefix. */
    public long count(String where) {
        long sum = 0;
        for (var e : kinds.entrySet()) {
            if (e.getKey().startsWith(where)) {
                sum += e.getValue().count.sum();
            }
        }
        return sum;
    }
}
