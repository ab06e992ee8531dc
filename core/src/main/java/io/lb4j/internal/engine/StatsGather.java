package io.lb4j.internal.engine;

import io.lb4j.BalancerStats;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.Counters;
import io.lb4j.internal.relay.Acceptor;
import io.lb4j.internal.relay.Frontend;
import io.lb4j.internal.relay.Unserved;
import io.lb4j.internal.relay.WaitQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * One snapshot in progress: each loop copies its own counter slots into {@code shares[loop]} on its
 * thread, which gives the copy a happens-before edge with every write the loop made until then.
 * Layout of a share: per frontend (accepted, rejected, open, then one slot per {@link Unserved}
 * reason), then per backend (connections, connect failures, bytes to backend, bytes to client), then
 * the loop's acceptors' pauses (limit, rate, resources), then the wait queue's (served, nanoseconds waited).
 */
final class StatsGather {
    private static final Unserved[] REASONS = Unserved.values();
    private static final int PER_FRONT = 3 + REASONS.length;
    private final List<Frontend> fronts;
    private final List<BackendState> members;
    private final List<Acceptor> accepting;
    private final LongSupplier rebalanced;
    private final Faults faults;
    /** The wait queue, or {@code null} before start: its served count and wait time are per loop too. */
    private final WaitQueue queue;
    private final long[][] shares;
    private final CompletableFuture<?>[] done;

    private StatsGather(List<Frontend> fronts, List<BackendState> members, List<Acceptor> accepting,
                        LongSupplier rebalanced, Faults faults, WaitQueue queue, int loopCount) {
        this.faults = faults;
        this.fronts = fronts;
        this.members = members;
        this.accepting = accepting;
        this.rebalanced = rebalanced;
        this.queue = queue;
        this.shares = new long[loopCount][];
        this.done = new CompletableFuture<?>[loopCount];
    }

    /**
     * Starts a snapshot: each of {@code loops} copies its share on its own thread, from a task on its
     * queue. A loop that is not running (its writes are done, or never began) has its share read from
     * here, and so has every loop when called from a loop (a listener): waiting would stall that loop
     * on itself or on another loop.
     *
     * @param loops the engine's loops, or {@code null} before start
     */
    static StatsGather start(List<Frontend> fronts, List<BackendState> members, List<Acceptor> accepting,
                             LongSupplier rebalanced, Faults faults, WaitQueue queue, EventLoop[] loops,
                             boolean loopsRunning) {
        int count = loops == null ? 0 : loops.length;
        StatsGather gather = new StatsGather(fronts, members, accepting, rebalanced, faults, queue, count);
        boolean onLoop = false;
        for (int i = 0; i < count; i++) {
            onLoop |= loops[i].inLoop();
        }
        for (int i = 0; i < count; i++) {
            EventLoop loop = loops[i];
            int id = i;
            if (!loopsRunning || loop.terminated().isDone() || onLoop) {
                gather.put(id, gather.read(id));
                gather.done[i] = CompletableFuture.completedFuture(null);
                continue;
            }
            CompletableFuture<Void> share = new CompletableFuture<>();
            gather.done[i] = share;
            loop.execute(() -> {
                gather.put(id, gather.read(id));
                share.complete(null);
            });
        }
        return gather;
    }

    /**
     * The snapshot once every loop has answered or {@code waitMs} have passed; the shares of loops that
     * have not answered by then are read from here (racy, but never blocks for long).
     */
    BalancerStats await(long waitMs) {
        try {
            CompletableFuture.allOf(done).get(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // a loop busy or stopping: read its share from here
        }
        return build(true);
    }

    /** The snapshot, without blocking: completes once every loop has contributed its share. */
    CompletableFuture<BalancerStats> whenDone() {
        return CompletableFuture.allOf(done).thenApply(v -> build(false));
    }

    private int length() {
        return fronts.size() * PER_FRONT + members.size() * 4 + 3 + 2;
    }

    private long[] read(int loop) {
        long[] share = new long[length()];
        int i = 0;
        for (Frontend f : fronts) {
            share[i++] = f.acceptedOn(loop);
            share[i++] = f.rejectedOn(loop);
            share[i++] = f.openOn(loop);
            for (Unserved reason : REASONS) {
                share[i++] = f.unservedOn(loop, reason);
            }
        }
        for (BackendState b : members) {
            Counters c = b.counters(loop);
            share[i++] = c.connections;
            share[i++] = c.connectFailures;
            share[i++] = c.bytesToBackend;
            share[i++] = c.bytesToClient;
        }
        for (Acceptor a : accepting) {
            if (a.loop().id() == loop) {
                share[i] += a.limitPauses();
                share[i + 1] += a.ratePauses();
                share[i + 2] += a.pauses();
            }
        }
        if (queue != null) {
            share[i + 3] = queue.servedOn(loop);
            share[i + 4] = queue.waitedNsOn(loop);
        }
        return share;
    }

    private synchronized void put(int loop, long[] share) {
        shares[loop] = share;
    }

    private synchronized BalancerStats build(boolean fillMissing) {
        long[] sum = new long[length()];
        for (int loop = 0; loop < shares.length; loop++) {
            long[] share = shares[loop];
            if (share == null && fillMissing) {
                share = read(loop);
            }
            if (share != null) {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += share[i];
                }
            }
        }
        List<BalancerStats.ListenerStats> listeners = new ArrayList<>();
        long accepted = 0;
        long rejected = 0;
        long active = 0;
        long[] unserved = new long[REASONS.length];
        int i = 0;
        for (Frontend f : fronts) {
            listeners.add(new BalancerStats.ListenerStats(f.address(), sum[i + 2], sum[i], sum[i + 1]));
            accepted += sum[i];
            rejected += sum[i + 1];
            active += sum[i + 2];
            for (int r = 0; r < REASONS.length; r++) {
                unserved[r] += sum[i + 3 + r];
            }
            i += PER_FRONT;
        }
        List<BalancerStats.BackendStats> backends = new ArrayList<>();
        for (BackendState b : members) {
            backends.add(new BalancerStats.BackendStats(b.backend(), b.health(), b.reason(),
                    b.activeConnections(), sum[i], sum[i + 1], sum[i + 2], sum[i + 3], b.lastProbeLatencyNs(),
                    b.probes.snapshot()));
            i += 4;
        }
        return new BalancerStats(active, accepted, rejected, listeners, backends,
                new BalancerStats.AcceptPauses(sum[i], sum[i + 1], sum[i + 2]), rebalanced.getAsLong(),
                new BalancerStats.Unserved(unserved[Unserved.NO_BACKEND.ordinal()],
                        unserved[Unserved.BACKEND_FULL.ordinal()], unserved[Unserved.CONNECT_FAILED.ordinal()],
                        unserved[Unserved.QUEUE_TIMEOUT.ordinal()]),
                faults.total(), faults.loopFailures(),
                new BalancerStats.Queue(queue == null ? 0 : queue.size(), sum[i + 3], sum[i + 4]));
    }
}
