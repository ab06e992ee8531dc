package io.lb4j.internal.relay;

import io.lb4j.internal.Faults;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * One frontend address: its bound address and its counters, one slot per event loop (written only by
 * that loop, summed on demand).
 */
public final class Frontend {
    private final InetSocketAddress address;
    private final Faults faults;
    private final long[] accepted;
    private final long[] rejected;
    /** Per loop, one slot per {@link Unserved} reason. */
    private final long[] unserved;
    private final Pausable[] acceptors;
    private final long[] open;

    /**
     * @param address the bound address (real port)
     * @param loops event loops
     * @param faults where faults are counted
     */
    public Frontend(InetSocketAddress address, int loops, Faults faults) {
        this.address = address;
        this.faults = faults;
        this.accepted = new long[loops];
        this.rejected = new long[loops];
        this.unserved = new long[loops * Unserved.values().length];
        this.acceptors = new Pausable[loops];
        this.open = new long[loops];
    }

    /** An acceptor as its frontend sees it: paused when a pair of its loop finds no descriptor. */
    interface Pausable {
        /** Stops accepting for a while, as after a failed {@code accept()}; on the acceptor's loop. */
        void pause(IOException cause);
    }

    void acceptor(int loop, Pausable acceptor) {
        acceptors[loop] = acceptor;
    }

    /**
     * A pair on {@code loop} could not get a descriptor for its backend: pause that loop's accepting as
     * if {@code accept()} itself had failed, so queued clients wait in the backlog instead of being
     * accepted only to be closed.
     */
    void outOfResources(int loop, IOException cause) {
        Pausable acceptor = acceptors[loop];
        if (acceptor != null) {
            acceptor.pause(cause);
        }
    }

    /** The bound address. */
    public InetSocketAddress address() {
        return address;
    }

    Faults faults() {
        return faults;
    }

    void accepted(int loop) {
        accepted[loop]++;
    }

    /** Counts a client refused (allow/deny, per-client limit, bad PROXY header); on that loop. */
    public void rejected(int loop) {
        rejected[loop]++;
    }

    /** Counts a client closed for want of a backend; on that loop. */
    public void unserved(int loop, Unserved reason) {
        unserved[loop * Unserved.values().length + reason.ordinal()]++;
    }

    /** Clients closed on {@code loop} for {@code reason}; exact when read on that loop. */
    public long unservedOn(int loop, Unserved reason) {
        return unserved[loop * Unserved.values().length + reason.ordinal()];
    }

    /** A pair of this frontend started on {@code loop}; on that loop. */
    public void pairOpened(int loop) {
        open[loop]++;
    }

    /** A pair of this frontend ended on {@code loop}; on that loop. */
    public void pairClosed(int loop) {
        open[loop]--;
    }

    /** Clients accepted on {@code loop}; exact when read on that loop. */
    public long acceptedOn(int loop) {
        return accepted[loop];
    }

    /** Clients rejected on {@code loop}; exact when read on that loop. */
    public long rejectedOn(int loop) {
        return rejected[loop];
    }

    /** Pairs open on {@code loop}; exact when read on that loop. */
    public long openOn(int loop) {
        return open[loop];
    }

    /** Clients accepted since start. */
    public long accepted() {
        long sum = 0;
        for (long n : accepted) {
            sum += n;
        }
        return sum;
    }

    /** Clients rejected since start. */
    public long rejected() {
        long sum = 0;
        for (long n : rejected) {
            sum += n;
        }
        return sum;
    }
}
