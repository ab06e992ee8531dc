package io.lb4j.internal.loop;

import java.nio.channels.SelectionKey;

/**
 * Backs a listener off when accepting fails (typically: out of file descriptors, where the listener
 * stays ready and a loop that kept trying would spin): accepting stops for 100 ms, doubling up to
 * 1 s while the failures last, and starts again on the loop's timer. Every listener of the engine
 * (relay, metrics, front-door health) uses this one rule. Only on the loop's thread.
 */
public final class AcceptBackoff extends Timer {
    /** The first pause. */
    public static final long MIN_PAUSE_NS = 100_000_000L;
    /** The longest pause. */
    public static final long MAX_PAUSE_NS = 1_000_000_000L;

    private final EventLoop loop;
    private final Runnable resume;
    private long pauseNs = MIN_PAUSE_NS;
    private long pauses;
    private boolean paused;

    /**
     * @param loop the listener's loop
     * @param resume run when a pause ends: turns {@code OP_ACCEPT} back on unless something else
     *     holds accepting stopped
     */
    public AcceptBackoff(EventLoop loop, Runnable resume) {
        this.loop = loop;
        this.resume = resume;
    }

    /**
     * Accepting on {@code key} failed: stops it for the current pause and doubles the next one.
     *
     * @return false when nothing was paused (the key is gone, or a pause runs already)
     */
    public boolean pause(SelectionKey key) {
        if (paused || key == null || !key.isValid()) {
            return false;
        }
        paused = true;
        pauses++;
        key.interestOps(0);
        loop.timers().schedule(this, loop.nowNs() + pauseNs);
        pauseNs = Math.min(pauseNs * 2, MAX_PAUSE_NS);
        return true;
    }

    /** Accepting worked: the next failure pauses for the shortest time again. */
    public void succeeded() {
        pauseNs = MIN_PAUSE_NS;
    }

    /** Whether a pause runs now. */
    public boolean paused() {
        return paused;
    }

    /** Pauses since start. */
    public long pauses() {
        return pauses;
    }

    /** Drops a pending pause (the listener is closing). */
    public void cancel() {
        loop.timers().cancel(this);
        paused = false;
    }

    @Override
    protected void expired(long nowNs) {
        paused = false;
        resume.run();
    }
}
