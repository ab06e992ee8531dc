package io.lb4j.internal.loop;

/**
 * A node of a {@link TimerWheel}. Subclassing (rather than wrapping a callback) lets a connection
 * pair be its own timer, so arming and re-arming never allocates.
 */
public abstract class Timer {
    long deadlineNs;
    Timer prev;
    Timer next;
    int slot = -1;

    /** Whether this timer is armed. */
    public final boolean armed() {
        return slot >= 0;
    }

    /** The deadline this timer was last armed with. */
    public final long deadlineNs() {
        return deadlineNs;
    }

    /**
     * The deadline passed; the timer is already disarmed and may re-arm itself.
     *
     * @param nowNs the loop's clock for this cycle
     */
    protected abstract void expired(long nowNs);

    /**
     * {@link #expired} threw {@code cause}, which the wheel's owner has counted: release what the
     * failure leaves behind (a connection pair closes itself). Default: nothing, the timer stays
     * disarmed.
     *
     * @param cause what {@link #expired} threw
     */
    protected void failed(Throwable cause) {
    }
}
