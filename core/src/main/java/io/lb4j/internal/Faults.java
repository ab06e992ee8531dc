package io.lb4j.internal;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one sink for faults caught where they happen (event loops, probes, registries, listeners):
 * counts every one by kind ({@code where: ExceptionClass}). The first fault of a kind is logged with
 * its throwable, so its stack trace reaches whoever reads the log; later ones at most one line per
 * kind per interval, so a storm of resets cannot flood the log. Records go to the logger
 * {@value #LOGGER}, whose messages start with the kind.
 */
public final class Faults {
    /** The logger every fault is reported on. */
    public static final String LOGGER = "io.lb4j.faults";
    /** The kind under which an event loop that ended is counted. */
    public static final String LOOP_FAILED = "event loop failed";
    private static final System.Logger LOG = System.getLogger(LOGGER);
    private static final long LOG_INTERVAL_NS = 10_000_000_000L;

    private final ConcurrentHashMap<String, Kind> kinds = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    private final LongAdder loopFailures = new LongAdder();

    private static final class Kind {
        final LongAdder count = new LongAdder();
        final AtomicLong lastLogNs = new AtomicLong();
        volatile boolean logged;
    }

    /**
     * Counts {@code t} under {@code where} and logs it: with its throwable the first time this kind
     * is seen, then at most once per interval.
     */
    public void record(String where, Throwable t) {
        total.increment();
        String name = where + ": " + t.getClass().getSimpleName();
        Kind kind = kinds.computeIfAbsent(name, k -> new Kind());
        kind.count.increment();
        long now = System.nanoTime();
        if (!kind.logged) {
            synchronized (kind) {
                if (!kind.logged) {
                    kind.lastLogNs.set(now);
                    kind.logged = true;
                    log(Level.WARNING, name + ": " + t.getMessage() + " (first of its kind; then at most one line"
                            + " per " + LOG_INTERVAL_NS / 1_000_000_000L + " s)", t);
                    return;
                }
            }
        }
        long last = kind.lastLogNs.get();
        if (now - last >= LOG_INTERVAL_NS && kind.lastLogNs.compareAndSet(last, now)) {
            log(Level.WARNING, name + ": " + t.getMessage() + " (" + kind.count.sum() + " so far)", null);
        }
    }

    /**
     * An event loop's thread ended while the balancer ran: counted apart (and as a fault of kind
     * {@value #LOOP_FAILED}), always logged at {@code ERROR} ({@code SEVERE}) with the cause.
     *
     * @param loop the loop's thread name
     * @param cause what ended it
     */
    public void loopFailed(String loop, Throwable cause) {
        loopFailures.increment();
        total.increment();
        String name = LOOP_FAILED + ": " + cause.getClass().getSimpleName();
        Kind kind = kinds.computeIfAbsent(name, k -> new Kind());
        kind.count.increment();
        kind.logged = true;
        log(Level.ERROR, name + ": " + loop + " ended (" + cause.getMessage() + "); its connections were closed"
                + " and its listeners no longer accept", cause);
    }

    /**
     * Logs through the host's logging, which may throw (a handler of its own, a bridge to another
     * framework): that must not turn a counted fault into an exception in the loop that reported it.
     */
    private static void log(Level level, String message, Throwable t) {
        try {
            if (t == null) {
                LOG.log(level, message);
            } else {
                LOG.log(level, message, t);
            }
        } catch (RuntimeException e) {
            // nowhere left to report it; the fault itself is counted
        }
    }

    /** Faults recorded since start. */
    public long total() {
        return total.sum();
    }

    /** Event loops that ended while running. */
    public long loopFailures() {
        return loopFailures.sum();
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

    /** Counts by kind ({@code where: ExceptionClass}), sorted by kind. */
    public Map<String, Long> byKind() {
        Map<String, Long> copy = new TreeMap<>();
        for (var e : kinds.entrySet()) {
            copy.put(e.getKey(), e.getValue().count.sum());
        }
        return copy;
    }
}
