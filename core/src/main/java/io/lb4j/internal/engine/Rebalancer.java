package io.lb4j.internal.engine;

import io.lb4j.internal.Faults;
import io.lb4j.internal.Pacing;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Timer;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.relay.ConnectionPair;
import io.lb4j.internal.relay.PairHandle;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Spreads long-lived connections again after a scale-out: every interval it measures the spread of
 * active connections across usable backends and, past the threshold, closes the oldest connections of
 * the busiest ones within a per-backend budget, so their clients reconnect and the policy places them
 * on the emptier backends. A timer on one loop's wheel starts each round and the control thread plans
 * it, so the relay pays nothing; the closes run on each pair's own loop.
 */
public final class Rebalancer extends Timer {
    /** The reason closed connections carry in events and the access log. */
    public static final String REASON = "rebalanced";
    private static final long MINUTE_NS = 60_000_000_000L;

    private final EventLoop home;
    private final Executor control;
    private final Supplier<BackendState[]> members;
    private final Function<Predicate<ConnectionPair>, CompletableFuture<List<PairHandle>>> list;
    private final Pacing pacing;
    private final Faults faults;
    private final AtomicBoolean busy = new AtomicBoolean();
    // control thread only (one round at a time, guarded by busy)
    private final Map<BackendState, Budget> budgets = new IdentityHashMap<>();
    private boolean moving;

    /** One backend's moves in the current minute. */
    private static final class Budget {
        boolean started;
        long sinceNs;
        int allowed;
        int moved;
    }

    /**
     * @param home the loop whose timer wheel starts each round
     * @param control where rounds are planned (the engine's control thread)
     * @param members the pool's current members
     * @param list lists the relaying pairs a filter accepts, oldest first
     * @param pacing the interval, spread threshold and budget
     * @param faults where a failed round is counted
     */
    public Rebalancer(EventLoop home, Executor control, Supplier<BackendState[]> members,
                      Function<Predicate<ConnectionPair>, CompletableFuture<List<PairHandle>>> list,
                      Pacing pacing, Faults faults) {
        this.home = home;
        this.control = control;
        this.members = members;
        this.list = list;
        this.pacing = pacing;
        this.faults = faults;
    }

    /** Arms the first round; any thread. */
    public void start() {
        home.execute(() -> home.timers().schedule(this, home.nowNs() + pacing.rebalanceIntervalNs()));
    }

    @Override
    protected void expired(long nowNs) {
        home.timers().schedule(this, nowNs + pacing.rebalanceIntervalNs());
        if (!busy.compareAndSet(false, true)) {
            return; // the last round is still closing
        }
        try {
            control.execute(this::round);
        } catch (RejectedExecutionException e) {
            busy.set(false); // closing
        }
    }

    /**
     * The spread of weight-adjusted active connections: max(active / weight) / (sum active / sum
     * weight) - 1; 0 with fewer than two backends or no connection.
     */
    static double spread(int[] active, int[] weight) {
        long total = 0;
        long weights = 0;
        double max = 0;
        for (int i = 0; i < active.length; i++) {
            total += active[i];
            weights += weight[i];
            max = Math.max(max, (double) active[i] / weight[i]);
        }
        if (active.length < 2 || total == 0) {
            return 0;
        }
        return max / ((double) total / weights) - 1;
    }

    /**
     * How many connections to close on each backend: what it holds above the weight-adjusted mean
     * times {@code 1 + targetSpread}, at most its {@code allowance}.
     */
    static int[] plan(int[] active, int[] weight, int[] allowance, double targetSpread) {
        long total = 0;
        long weights = 0;
        for (int i = 0; i < active.length; i++) {
            total += active[i];
            weights += weight[i];
        }
        int[] closes = new int[active.length];
        if (weights == 0) {
            return closes;
        }
        double mean = (double) total / weights;
        for (int i = 0; i < active.length; i++) {
            long keep = (long) Math.floor(mean * weight[i] * (1 + targetSpread));
            closes[i] = (int) Math.max(0, Math.min(active[i] - keep, allowance[i]));
        }
        return closes;
    }

    /**
     * One round now, whatever the spread's hysteresis (the admin API's {@code POST /rebalance}): closes
     * at once what brings each usable backend down to the weight-adjusted mean times
     * {@code 1 + maxSpread / 2}, within what its minute's budget still allows (the same budget the
     * periodic rounds use). Any thread; completes with the number of connections it closes.
     */
    public CompletableFuture<Integer> now() {
        CompletableFuture<Integer> result = new CompletableFuture<>();
        try {
            control.execute(() -> {
                try {
                    Map<BackendState, Integer> chosen = choose(System.nanoTime(), true);
                    int total = 0;
                    for (int count : chosen.values()) {
                        total += count;
                    }
                    if (!chosen.isEmpty()) {
                        list.apply(pair -> chosen.containsKey(pair.backend()))
                                .thenAccept(handles -> close(handles, chosen))
                                .whenComplete((v, e) -> {
                                    if (e != null) {
                                        faults.record("rebalance", e);
                                    }
                                });
                    }
                    result.complete(total);
                } catch (RuntimeException e) {
                    faults.record("rebalance", e);
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("rebalance: the balancer is closing", e));
        }
        return result;
    }

    private void round() {
        try {
            Map<BackendState, Integer> chosen = choose(System.nanoTime(), false);
            if (chosen.isEmpty()) {
                busy.set(false);
                return;
            }
            list.apply(pair -> chosen.containsKey(pair.backend()))
                    .thenAccept(handles -> close(handles, chosen))
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            faults.record("rebalance", e);
                        }
                        busy.set(false);
                    });
        } catch (RuntimeException e) {
            faults.record("rebalance", e);
            busy.set(false);
        }
    }

    /**
     * Plans one round: starts moving when the spread passes the threshold and goes on, round after
     * round, until it is down to half of it (so it does not stop just under the line).
     */
    private Map<BackendState, Integer> choose(long nowNs, boolean forced) {
        List<BackendState> usable = new ArrayList<>();
        for (BackendState m : members.get()) {
            if (m.usable() && m.backend().weight() > 0) {
                usable.add(m);
            }
        }
        budgets.keySet().retainAll(usable);
        int n = usable.size();
        int[] active = new int[n];
        int[] weight = new int[n];
        for (int i = 0; i < n; i++) {
            active[i] = usable.get(i).activeConnections();
            weight[i] = usable.get(i).backend().weight();
        }
        double spread = spread(active, weight);
        // a round asked for now skips the hysteresis: the plan alone decides whether anything moves
        if (!forced && spread > pacing.maxSpread()) {
            moving = true;
        } else if (!forced && spread <= pacing.maxSpread() / 2) {
            moving = false;
        }
        Map<BackendState, Integer> chosen = new IdentityHashMap<>();
        if (!moving && !forced) {
            return chosen;
        }
        int[] allowance = new int[n];
        for (int i = 0; i < n; i++) {
            Budget budget = budgets.computeIfAbsent(usable.get(i), k -> new Budget());
            if (!budget.started || nowNs - budget.sinceNs >= MINUTE_NS) {
                budget.started = true;
                budget.sinceNs = nowNs;
                budget.moved = 0;
                budget.allowed = (int) Math.floor(pacing.maxSharePerMinute() * active[i]);
            }
            // the minute's allowance spread over its rounds, so moves trickle instead of bunching
            int perRound = forced ? budget.allowed
                    : (int) Math.ceil((double) budget.allowed * pacing.rebalanceIntervalNs() / MINUTE_NS);
            allowance[i] = Math.min(perRound, budget.allowed - budget.moved);
        }
        int[] closes = plan(active, weight, allowance, pacing.maxSpread() / 2);
        for (int i = 0; i < n; i++) {
            if (closes[i] > 0) {
                budgets.get(usable.get(i)).moved += closes[i];
                chosen.put(usable.get(i), closes[i]);
            }
        }
        return chosen;
    }

    /** Closes the oldest {@code chosen} count of each backend's pairs, each on its own loop. */
    private static void close(List<PairHandle> handles, Map<BackendState, Integer> chosen) {
        Map<BackendState, int[]> left = new IdentityHashMap<>();
        chosen.forEach((state, count) -> left.put(state, new int[] {count}));
        for (PairHandle handle : handles) { // oldest first
            ConnectionPair pair = handle.pair();
            int[] count = left.get(pair.backend());
            if (count == null || count[0] == 0) {
                continue;
            }
            count[0]--;
            pair.loop().execute(() -> {
                if (pair.relaying()) {
                    pair.close(false, REASON);
                }
            });
        }
    }
}
