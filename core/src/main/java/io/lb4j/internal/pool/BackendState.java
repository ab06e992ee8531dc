package io.lb4j.internal.pool;

import io.lb4j.Backend;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthState;
import io.lb4j.internal.TokenBucket;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * The engine's live record of one backend, kept across rebuilds as long as the backend stays in the
 * registry: configuration, health, active connections and per-loop counters. Policies see it as a
 * {@link BalancingPolicy.Candidate}.
 */
public final class BackendState implements BalancingPolicy.Candidate {
    private volatile Backend backend;
    private volatile InetSocketAddress address;
    private volatile HealthState health;
    private volatile String reason;
    private volatile boolean removed;
    private volatile long lastProbeLatencyNs = -1;
    private volatile long upSinceNs = Long.MIN_VALUE;
    private volatile boolean initialMember;
    private volatile boolean draining;
    private TokenBucket connectRate;
    private Consumer<BackendState> slotFreed;
    private volatile long healthSinceMillis = System.currentTimeMillis();
    private final AtomicInteger active = new AtomicInteger();
    private final Counters[] perLoop;
    private final CompletableFuture<Void> firstProbe = new CompletableFuture<>();
    private final int loopId;

    /** Active-probe streaks; owned by the health checker, on this backend's loop. */
    public final HealthStreak streak = new HealthStreak();
    /** Probe counters; written by the health checker on this backend's loop. */
    public final ProbeFigures probes = new ProbeFigures();
    /** Consecutive failed connects of client connections, from any loop (passive health). */
    public final AtomicInteger passiveFailures = new AtomicInteger();
    private final AtomicBoolean panic;

    /**
     * @param backend configuration
     * @param address resolved address, or {@code null} when it could not be resolved
     * @param loops number of event loops (one counter slot each)
     * @param loopId the loop that probes this backend
     * @param initial the starting health
     * @param probed whether a first probe will run ({@link #firstProbe()} waits for it)
     * @param panic the pool's panic flag: while set, health is ignored by {@link #usable()}
     */
    public BackendState(Backend backend, InetSocketAddress address, int loops, int loopId, HealthState initial,
                        boolean probed, AtomicBoolean panic) {
        this.panic = panic;
        this.backend = backend;
        this.address = address;
        this.perLoop = new Counters[loops];
        for (int i = 0; i < loops; i++) {
            perLoop[i] = new Counters();
        }
        this.loopId = loopId;
        this.health = initial;
        this.reason = probed ? "not probed yet" : "no probe";
        if (!probed) {
            firstProbe.complete(null);
        }
    }

    @Override
    public Backend backend() {
        return backend;
    }

    /** Replaces the configuration (weight, limit, admin state); the name stays. */
    public void backend(Backend updated) {
        this.backend = updated;
    }

    /** Where connections go; {@code null} while unresolved. */
    public InetSocketAddress address() {
        return address;
    }

    /** The loop that runs this backend's probes. */
    public int loopId() {
        return loopId;
    }

    @Override
    public boolean usable() {
        return unusable() == null;
    }

    /** Why a policy should not offer this backend now, or {@code null}: the first stage of {@link #skip()}. */
    private Skip unusable() {
        if (removed) {
            return Skip.REMOVED;
        }
        Backend.AdminState admin = backend.adminState();
        if (admin == Backend.AdminState.DOWN) {
            return Skip.ADMIN_DOWN;
        }
        if (admin != Backend.AdminState.UP || draining) {
            return Skip.DRAINING;
        }
        if (health != HealthState.UP && !panic.get()) {
            return Skip.UNHEALTHY; // panic mode: health is ignored while no admin-up member is healthy
        }
        return null;
    }

    /**
     * Why a new connection would pass this backend by now, or {@code null} when it would connect: the
     * one rule of the relay ({@link Skip} lists the checks in order), here only looked at, taking
     * nothing, for {@code explain} and the wait queue's choices.
     */
    public Skip skip() {
        return check(false, false);
    }

    /**
     * {@link #skip()}'s rule for a connect: when it answers {@code null} this caller holds a
     * connection slot and a connect token (given back with {@link #release()} and
     * {@link #giveBackConnectToken()}); otherwise it holds nothing. A slot taken and given back for a
     * spent connect rate is announced like any other ({@link #release()}).
     */
    public Skip take() {
        return check(true, true);
    }

    /**
     * As {@link #take()}, but a slot given back for a spent connect rate tells nobody
     * ({@link #releaseUnused()}): for the wait queue, which is walking its waiters already.
     */
    public Skip takeQuietly() {
        return check(true, false);
    }

    private Skip check(boolean take, boolean tell) {
        Skip unusable = unusable();
        if (unusable != null) {
            return unusable;
        }
        if (address == null) {
            return Skip.UNRESOLVED;
        }
        if (take ? !tryAcquire() : !hasRoom()) {
            return Skip.CONNECTION_LIMIT;
        }
        if (!take) {
            return connectRate == null || connectRate.hasToken(System.nanoTime()) ? null : Skip.CONNECT_RATE;
        }
        if (!tryConnectToken()) {
            if (tell) {
                release();
            } else {
                releaseUnused();
            }
            return Skip.CONNECT_RATE; // skipped like a full backend
        }
        return null;
    }

    /** Takes this backend out of rotation for a paced drain; it stays out while it is a member. */
    public void drain() {
        this.draining = true;
    }

    /** Whether a paced drain took this backend out of rotation. */
    public boolean draining() {
        return draining;
    }

    /** Wall-clock time (epoch milliseconds) of the last change of health state, or of joining. */
    public long healthSinceMillis() {
        return healthSinceMillis;
    }

    @Override
    public int activeConnections() {
        return active.get();
    }

    /**
     * Takes a connection slot unless the backend is at its connection limit. A compare-and-set on the
     * count, so loops racing for the last slot never take one more than the limit, and a loser never
     * pushes the count over it for a moment (which made a racing winner fail, and policies read it).
     *
     * @return whether a slot was taken; release it with {@link #release()}
     */
    private boolean tryAcquire() {
        int max = backend.maxConnections();
        if (max <= 0) {
            active.incrementAndGet();
            return true;
        }
        while (true) {
            int now = active.get();
            if (now >= max) {
                return false;
            }
            if (active.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** Whether {@link #tryAcquire()} could take a slot now (no limit, or below it); a hint, not a promise. */
    private boolean hasRoom() {
        int max = backend.maxConnections();
        return max <= 0 || active.get() < max;
    }

    /** Gives back a slot taken by {@link #take()}, and tells the pool's listener (the wait queue). */
    public void release() {
        active.decrementAndGet();
        Consumer<BackendState> listener = slotFreed;
        if (listener != null) {
            listener.accept(this);
        }
    }

    /** Gives back a slot taken by {@link #tryAcquire()} but never used, telling nobody. */
    private void releaseUnused() {
        active.decrementAndGet();
    }

    /** Who hears of each slot given back; set once by the pool before the state is published. */
    void slotFreed(Consumer<BackendState> listener) {
        this.slotFreed = listener;
    }

    /** Paces new connections to this backend; set once by the pool before the state is published. */
    void connectRate(TokenBucket bucket) {
        this.connectRate = bucket;
    }

    /** Takes a token for one new connection to this backend; always true when connects are unpaced. */
    private boolean tryConnectToken() {
        return connectRate == null || connectRate.tryTake(System.nanoTime());
    }

    /** New connections per second this backend takes at most; 0 = unpaced. */
    public int connectRate() {
        return connectRate == null ? 0 : connectRate.perSecond();
    }

    /** Gives back a connect token taken by {@link #take()} but not used. */
    public void giveBackConnectToken() {
        if (connectRate != null) {
            connectRate.giveBack();
        }
    }

    /** Health now. */
    public HealthState health() {
        return health;
    }

    /** Why it is in its health state. */
    public String reason() {
        return reason;
    }

    /**
     * Sets health and reason.
     *
     * @return the state before
     */
    public HealthState health(HealthState state, String why) {
        HealthState before = this.health;
        this.reason = why;
        if (state == HealthState.UP && before != HealthState.UP
                && !(before == HealthState.UNKNOWN && initialMember)) {
            // written before the volatile health below, so a policy that sees UP sees this stamp
            this.upSinceNs = System.nanoTime();
        }
        if (state != before) {
            this.healthSinceMillis = System.currentTimeMillis();
        }
        this.health = state;
        return before;
    }

    /**
     * Marks this backend as one of the members the balancer started with: its first probe success
     * does not count as "newly up" for slow start, so a fresh start does not ramp every backend.
     */
    public void initialMember() {
        this.initialMember = true;
    }

    /**
     * {@link System#nanoTime()} when the health last turned up, or {@link Long#MIN_VALUE} when it has
     * been up since the balancer started (or was never up).
     */
    @Override
    public long upSinceNanos() {
        return upSinceNs;
    }

    /** Updates the reason without a state change. */
    public void reason(String why) {
        this.reason = why;
    }

    /** Whether the registry dropped this backend. */
    public boolean removed() {
        return removed;
    }

    /** Marks this backend as dropped by the registry: no new connections, probes stop. */
    public void markRemoved() {
        removed = true;
        firstProbe.complete(null);
    }

    /** The counters of one loop; only that loop writes them. */
    public Counters counters(int loop) {
        return perLoop[loop];
    }

    /** Sums one counter across loops. */
    public long sum(ToLongFunction<Counters> counter) {
        long total = 0;
        for (Counters c : perLoop) {
            total += counter.applyAsLong(c);
        }
        return total;
    }

    /** Duration of the last completed probe, or -1. */
    public long lastProbeLatencyNs() {
        return lastProbeLatencyNs;
    }

    /** Records the duration of a completed probe. */
    public void lastProbeLatencyNs(long ns) {
        this.lastProbeLatencyNs = ns;
    }

    /** Completes when the first probe has answered or timed out (at once without probing). */
    public CompletableFuture<Void> firstProbe() {
        return firstProbe;
    }

    @Override
    public String toString() {
        return backend.name() + "(" + health + ")";
    }
}
