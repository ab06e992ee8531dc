package io.lb4j.internal.relay;

import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.Skip;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Clients waiting for a connection slot while every backend their policy chose is at its connection
 * limit (HAProxy's queue): one first-in, first-out list shared by every event loop, so that a slot freed
 * on one loop goes to the oldest waiter wherever it was accepted. A freed slot is claimed for the oldest
 * waiter that may use that backend before anyone else can take it, and a newcomer joins behind the
 * waiters while any wait, so nobody overtakes an older client for the same backend.
 *
 * <p>The list is guarded by one lock, taken only while someone waits or joins (never per read or
 * write): on joining, on leaving, and when a pair gives a slot back while the list is not empty. A
 * waiter holds no buffer; its pair stays on its own loop with no interest set, and the grant reaches it
 * through that loop's task queue.
 */
public final class WaitQueue {
    private final long timeoutNs;
    private final int max;
    private final ReentrantLock lock = new ReentrantLock();
    /** Read without the lock: the fast "is anyone waiting" check of every slot given back. */
    private final AtomicInteger size = new AtomicInteger();
    private Waiter head;
    private Waiter tail;
    /** Per loop, written only by that loop: clients served after waiting, and their waits in total. */
    private final long[] served;
    private final long[] waitedNs;

    /**
     * @param timeoutNs how long a client may wait; 0 = the queue is off (clients are closed at once)
     * @param max clients waiting at once; beyond it, new ones are closed at once
     * @param loops event loops (one counter slot each)
     */
    public WaitQueue(long timeoutNs, int max, int loops) {
        this.timeoutNs = timeoutNs;
        this.max = max;
        this.served = new long[loops];
        this.waitedNs = new long[loops];
    }

    /** Whether clients wait at all. */
    public boolean enabled() {
        return timeoutNs > 0 && max > 0;
    }

    /** How long a client may wait. */
    long timeoutNs() {
        return timeoutNs;
    }

    /** Clients waiting now. */
    public int size() {
        return size.get();
    }

    /** Clients served after waiting on {@code loop}; exact when read on that loop. */
    public long servedOn(int loop) {
        return served[loop];
    }

    /** Nanoseconds waited in total by the clients served on {@code loop}; exact when read on that loop. */
    public long waitedNsOn(int loop) {
        return waitedNs[loop];
    }

    /** Records one client served after waiting {@code ns}; on its loop. */
    void served(int loop, long ns) {
        served[loop]++;
        waitedNs[loop] += ns;
    }

    /** A client that may wait: a connection pair, which lives on one loop and hears of its grant there. */
    interface Client {
        /** The loop the client lives on; its grant is handed in as a task of this loop. */
        EventLoop loop();

        /** The queue let {@code waiter} go, with a slot in {@code waiter.granted} or none; on {@link #loop()}. */
        void granted(Waiter waiter);
    }

    /**
     * One waiting client and the backends its policy chose (best first), linked into the list while it
     * waits. {@code granted} is set, under the lock, when it leaves the list with a slot.
     */
    static final class Waiter {
        final Client client;
        final BackendState[] candidates;
        Waiter prev;
        Waiter next;
        boolean linked;
        BackendState granted;

        Waiter(Client client, BackendState[] candidates) {
            this.client = client;
            this.candidates = candidates;
        }
    }

    /**
     * Adds a client at the tail, then hands every free slot to the oldest waiters that may use it (the
     * newcomer among them). On the client's loop.
     *
     * @return the waiter, or {@code null} when {@link #max} clients already wait
     */
    Waiter join(Client client, BackendState[] candidates) {
        Waiter waiter = new Waiter(client, candidates);
        lock.lock();
        try {
            if (size.get() >= max) {
                return null;
            }
            waiter.linked = true;
            waiter.prev = tail;
            if (tail == null) {
                head = waiter;
            } else {
                tail.next = waiter;
            }
            tail = waiter;
            // after this increment, a slot given back anywhere sees someone waiting and dispatches;
            // before it, the dispatch below sees the slot: either way no freed slot is missed
            size.incrementAndGet();
            dispatchLocked(null);
        } finally {
            lock.unlock();
        }
        return waiter;
    }

    /**
     * Takes a client out of the list (timeout, or its pair closed). On the client's loop.
     *
     * @return whether it was still waiting; {@code false} when a grant is already on its way to the pair
     */
    boolean leave(Waiter waiter) {
        lock.lock();
        try {
            if (!waiter.linked) {
                return false;
            }
            unlink(waiter);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A pair gave back a slot of {@code backend}: hands it to the oldest waiter that may use it, if
     * anyone waits. Any loop; one volatile read when nobody waits.
     */
    public void slotFreed(BackendState backend) {
        if (size.get() == 0) {
            return;
        }
        lock.lock();
        try {
            dispatchLocked(backend);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Backends may have become usable or gained room (health, admin state, membership or a limit
     * changed): hands every free slot to the waiters, if anyone waits. Any thread.
     */
    public void poolChanged() {
        slotFreed(null);
    }

    /**
     * Walks the waiters oldest first; each takes a slot on the first of its backends that is usable
     * and has room, and is handed to its loop. A waiter none of whose backends is usable any more
     * (down, draining, removed) leaves too, without a slot, to pick again. With {@code freed} given the
     * walk ends once a waiter has taken that backend's slot: in a saturated pool that is usually the
     * first waiter, so giving a slot back costs O(1) however long the queue; a walk to the end (a few
     * volatile reads per waiter) happens on joining and on pool changes.
     */
    private void dispatchLocked(BackendState freed) {
        for (Waiter w = head; w != null; ) {
            Waiter next = w.next;
            boolean anyUsable = false;
            for (BackendState c : w.candidates) {
                if (c == null) {
                    continue;
                }
                Skip skip = c.takeQuietly(); // this walk is the one a slot given back would start
                if (skip == null) {
                    w.granted = c;
                    break;
                }
                anyUsable |= skip.busy(); // a spent connect rate counts as full, for this pass
            }
            if (w.granted != null || !anyUsable) {
                BackendState got = w.granted;
                unlink(w);
                Client client = w.client;
                Waiter handed = w;
                client.loop().execute(() -> client.granted(handed));
                if (got != null && got == freed) {
                    return;
                }
            }
            w = next;
        }
    }

    private void unlink(Waiter w) {
        if (w.prev == null) {
            head = w.next;
        } else {
            w.prev.next = w.next;
        }
        if (w.next == null) {
            tail = w.prev;
        } else {
            w.next.prev = w.prev;
        }
        w.prev = null;
        w.next = null;
        w.linked = false;
        size.decrementAndGet();
    }
}
