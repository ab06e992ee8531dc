package io.lb4j.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket of {@code burst} tokens refilled at {@code perSecond}, kept as one atomic
 * "theoretical arrival time" (the generic cell rate algorithm): taking a token is one compare-and-set,
 * with no lock, no thread and no refill timer. Shared by every event loop; used once per new
 * connection, never per read or write.
 */
public final class TokenBucket {
    private final int perSecond;
    private final long intervalNs;
    private final long toleranceNs;
    private final AtomicLong tat;

    /**
     * A full bucket.
     *
     * @param perSecond tokens added per second, at least 1
     * @param burst tokens the bucket holds, at least 1
     * @param nowNs the {@link System#nanoTime()} clock now
     */
    public TokenBucket(int perSecond, int burst, long nowNs) {
        if (perSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("token bucket: " + perSecond + "/s, burst " + burst
                    + " (expected: both >= 1)");
        }
        this.perSecond = perSecond;
        this.intervalNs = 1_000_000_000L / perSecond;
        this.toleranceNs = intervalNs * burst;
        this.tat = new AtomicLong(nowNs);
    }

    /** Takes one token if there is one; lock-free. */
    public boolean tryTake(long nowNs) {
        while (true) {
            long t = tat.get();
            long next = (t - nowNs > 0 ? t : nowNs) + intervalNs;
            if (next - nowNs > toleranceNs) {
                return false;
            }
            if (tat.compareAndSet(t, next)) {
                return true;
            }
        }
    }

    /** Gives back a token taken by {@link #tryTake} but not used. */
    public void giveBack() {
        tat.addAndGet(-intervalNs);
    }

    /** Whether {@link #tryTake} would find a token at {@code nowNs}; takes none. */
    public boolean hasToken(long nowNs) {
        return nextTokenNs() - nowNs <= 0;
    }

    /** Tokens added per second. */
    public int perSecond() {
        return perSecond;
    }

    /** When the next token will be there ({@link System#nanoTime()} clock); at or before now if one is. */
    public long nextTokenNs() {
        return tat.get() + intervalNs - toleranceNs;
    }
}
