package io.lb4j.internal.relay;

import io.lb4j.internal.Cidr;
import io.lb4j.internal.Edge;
import io.lb4j.internal.TokenBucket;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides at accept time whether a client may come in (allow and deny ranges, peers allowed to send a
 * PROXY header, the per-client limit) and holds the global limit, pausing every acceptor while it is
 * reached. Shared by all loops: the kernel spreads one client's connections across loops, so per-loop
 * counts could not enforce a per-client limit; the cost is one map update per connection, never per byte.
 */
public final class Admission {
    /** How long a client has to send its PROXY header. */
    public static final long HEADER_TIMEOUT_NS = 3_000_000_000L;
    /** The slot handed out when there is no per-client limit. */
    static final AtomicInteger UNLIMITED = new AtomicInteger();

    private final Edge edge;
    private final AtomicInteger held = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();
    private final List<Paused> acceptors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean paused = new AtomicBoolean();

    private final TokenBucket acceptRate;

    /** Admission by {@code edge}'s rules. */
    public Admission(Edge edge) {
        this(edge, null);
    }

    /**
     * Admission by {@code edge}'s rules, new connections paced by {@code acceptRate}.
     *
     * @param acceptRate the global accept bucket, or {@code null} for unpaced accepting
     */
    public Admission(Edge edge, TokenBucket acceptRate) {
        this.edge = edge;
        this.acceptRate = acceptRate;
    }

    /** The global accept bucket, or {@code null} when accepting is unpaced. */
    TokenBucket acceptRate() {
        return acceptRate;
    }

    /** The settings applied. */
    public Edge edge() {
        return edge;
    }

    /** An acceptor as the global limit sees it: it pauses at the limit and is woken when a place frees. */
    public interface Paused {
        /** A place under the limit is free again: accept again if paused for the limit. Any thread. */
        void placeFreed();
    }

    /** Adds an acceptor to pause and resume with the global limit. */
    public void register(Paused acceptor) {
        acceptors.add(acceptor);
    }

    /** Client connections held now under the global limit (0 when there is none). */
    public int held() {
        return held.get();
    }

    /** Takes a place under the global limit before accepting; false when it is full. */
    boolean reserve() {
        int max = edge.maxConnections();
        if (max == 0) {
            return true;
        }
        while (true) {
            int n = held.get();
            if (n >= max) {
                return false;
            }
            if (held.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a place taken by {@link #reserve()}; wakes paused acceptors once below the limit. */
    void unreserve() {
        int max = edge.maxConnections();
        if (max == 0) {
            return;
        }
        if (held.decrementAndGet() < max && paused.get() && paused.compareAndSet(true, false)) {
            wakeAll();
        }
    }

    /**
     * Records that an acceptor stopped accepting for the limit. Checks again afterwards: a place freed
     * between the failed {@link #reserve()} and this call must not leave the acceptor asleep.
     */
    void paused() {
        paused.set(true);
        if (held.get() < edge.maxConnections() && paused.compareAndSet(true, false)) {
            wakeAll();
        }
    }

    private void wakeAll() {
        for (Paused acceptor : acceptors) {
            acceptor.placeFreed();
        }
    }

    /**
     * Why a peer is refused at accept (before any byte is read), or {@code null} when it may come in.
     *
     * @param raw the peer's address bytes ({@link InetAddress#getAddress()})
     */
    String refusal(byte[] raw) {
        if (!edge.allow().isEmpty() && !Cidr.any(edge.allow(), raw)) {
            return "not in an allowed range";
        }
        if (Cidr.any(edge.deny(), raw)) {
            return "in a denied range";
        }
        if (edge.acceptProxy() && !edge.acceptProxyFrom().isEmpty() && !Cidr.any(edge.acceptProxyFrom(), raw)) {
            return "not allowed to send a PROXY header";
        }
        return null;
    }

    /** Whether {@code raw} passes the allow and deny lists alone (for tests and explanations). */
    public boolean allowed(byte[] raw) {
        return (edge.allow().isEmpty() || Cidr.any(edge.allow(), raw)) && !Cidr.any(edge.deny(), raw);
    }

    /**
     * Takes a place under the per-client limit for {@code peer}.
     *
     * @return the slot to give back with {@link #releaseClient}, or {@code null} when {@code peer} is at
     *     its limit
     */
    AtomicInteger acquireClient(InetAddress peer) {
        int max = edge.maxConnectionsPerClient();
        if (max == 0) {
            return UNLIMITED;
        }
        // a count that fell to 0 is retired (-1) before it leaves the map, so an increment never lands
        // on a count no longer in the map; bounded: each retry sees a retired count removed
        for (int attempt = 0; attempt < 1000; attempt++) {
            AtomicInteger count = perClient.computeIfAbsent(peer, k -> new AtomicInteger());
            int n = count.get();
            if (n < 0) {
                perClient.remove(peer, count);
                continue;
            }
            if (n >= max) {
                return null;
            }
            if (count.compareAndSet(n, n + 1)) {
                return count;
            }
        }
        return null;
    }

    /** Gives back a per-client place. */
    void releaseClient(InetAddress peer, AtomicInteger slot) {
        if (slot == UNLIMITED || slot == null) {
            return;
        }
        if (slot.decrementAndGet() == 0 && slot.compareAndSet(0, -1)) {
            perClient.remove(peer, slot);
        }
    }
}
