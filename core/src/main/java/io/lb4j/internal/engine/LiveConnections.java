package io.lb4j.internal.engine;

import io.lb4j.Connection;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Timer;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.relay.ConnectionPair;
import io.lb4j.internal.relay.PacedClose;
import io.lb4j.internal.relay.PairHandle;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The pairs relaying now, found on their own loops through {@link ConnectionPair#forEachRelaying}
 * (the relay keeps no registry of them, so forwarding pays nothing for this): listed as handles,
 * closed by backend or by id, or closed spread over a window (drains). Each loop contributes from a
 * task on its queue, so forwarding never stops for it; any thread but a loop's may ask.
 */
final class LiveConnections {
    private static final long LIST_WAIT_MS = 5_000;

    private final EventLoop[] loops;
    private final BooleanSupplier running;

    /**
     * @param loops the engine's loops
     * @param running whether the loops run (before, nothing is listed)
     */
    LiveConnections(EventLoop[] loops, BooleanSupplier running) {
        this.loops = loops;
        this.running = running;
    }

    /** Handles of the pairs relaying now that {@code filter} accepts, oldest first. */
    CompletableFuture<List<PairHandle>> list(Predicate<ConnectionPair> filter) {
        if (!running.getAsBoolean()) {
            return CompletableFuture.completedFuture(List.of());
        }
        List<CompletableFuture<List<PairHandle>>> shares = new ArrayList<>();
        for (EventLoop loop : loops) {
            CompletableFuture<List<PairHandle>> share = new CompletableFuture<>();
            shares.add(share);
            if (loop.terminated().isDone()) {
                share.complete(List.of());
                continue;
            }
            loop.execute(() -> {
                List<PairHandle> list = new ArrayList<>();
                ConnectionPair.forEachRelaying(loop, pair -> {
                    if (filter.test(pair)) {
                        list.add(PairHandle.of(pair));
                    }
                });
                share.complete(list);
            });
            // see LoopTasks.onLoop: no callback left on the loop's terminated future
            if (loop.terminated().isDone()) {
                share.complete(List.of());
            }
        }
        return CompletableFuture.allOf(shares.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<PairHandle> all = new ArrayList<>();
            for (CompletableFuture<List<PairHandle>> share : shares) {
                all.addAll(share.join());
            }
            all.sort(Comparator.comparingLong(PairHandle::openedNs));
            return all;
        });
    }

    /** See {@link io.lb4j.Balancer#connections()}; {@code backendName} null = every backend. Not from a loop. */
    List<Connection> connections(String backendName) {
        for (EventLoop loop : loops) {
            if (loop.inLoop()) {
                throw new IllegalStateException("connections: called on an event loop (a listener); "
                        + "call it from another thread");
            }
        }
        Predicate<ConnectionPair> filter = backendName == null ? pair -> true
                : pair -> pair.backend().backend().name().equals(backendName);
        try {
            return List.copyOf(list(filter).get(LIST_WAIT_MS, TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("connections: interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("connections: event loops did not answer within "
                    + LIST_WAIT_MS + " ms", e);
        }
    }

    /** Closes every pair relaying to {@code backend}, each on its own loop. Any thread. */
    void close(BackendState backend, String why) {
        for (EventLoop loop : loops) {
            loop.execute(() -> {
                // gathered first: a close frees a slot, and a waiting client granted it registers a
                // new channel on this selector, which must not happen while its key set is walked
                List<ConnectionPair> found = new ArrayList<>();
                ConnectionPair.forEachRelaying(loop, pair -> {
                    if (pair.backend() == backend) {
                        found.add(pair);
                    }
                });
                for (ConnectionPair pair : found) {
                    pair.close(false, why);
                }
            });
        }
    }

    /** As {@link #close(BackendState, String)} after {@code delayNs}, timed on the first loop's wheel. */
    void closeAfter(BackendState backend, long delayNs, String why) {
        if (delayNs == 0) {
            close(backend, why);
            return;
        }
        EventLoop first = loops[0];
        first.execute(() -> first.timers().schedule(new Timer() {
            @Override
            protected void expired(long nowNs) {
                close(backend, why);
            }
        }, first.nowNs() + delayNs));
    }

    /**
     * Closes the pairs relaying now that {@code which} accepts (oldest first) spread over
     * {@code windowNs} from {@code startNs}: the i-th of n at a uniformly random moment of the i-th
     * n-th of the window (jitter that keeps the order and never bunches), each on its own loop; what
     * is left of them at {@code deadlineNs} closes then. Completes with {closed, ended, closed at end}.
     *
     * @param cancelled when set, the remaining closes are called off; {@code null} = never
     * @param sweepAtDeadline also close, at the deadline, pairs {@code which} accepts that opened later
     */
    CompletableFuture<int[]> closeSpread(Predicate<ConnectionPair> which, long startNs, long windowNs,
                                         long deadlineNs, boolean reset, String why, AtomicBoolean cancelled,
                                         boolean sweepAtDeadline) {
        return list(which).thenCompose(handles -> pace(handles, startNs, windowNs, deadlineNs, reset, why, which,
                cancelled, sweepAtDeadline));
    }

    private CompletableFuture<int[]> pace(List<PairHandle> handles, long startNs, long windowNs, long deadlineNs,
                                          boolean reset, String why, Predicate<ConnectionPair> stragglers,
                                          AtomicBoolean cancelled, boolean sweepAtDeadline) {
        int n = handles.size();
        SplittableRandom random = new SplittableRandom();
        List<List<PairHandle>> byLoop = new ArrayList<>();
        List<List<Long>> dueByLoop = new ArrayList<>();
        for (int i = 0; i < loops.length; i++) {
            byLoop.add(new ArrayList<>());
            dueByLoop.add(new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            PairHandle h = handles.get(i);
            long due = startNs + (long) (windowNs * ((i + random.nextDouble()) / n));
            int loop = h.pair().loop().id();
            byLoop.get(loop).add(h);
            dueByLoop.get(loop).add(due);
        }
        List<CompletableFuture<int[]>> parts = new ArrayList<>();
        for (int l = 0; l < loops.length; l++) {
            List<PairHandle> mine = byLoop.get(l);
            ConnectionPair[] pairs = new ConnectionPair[mine.size()];
            long[] due = new long[mine.size()];
            for (int i = 0; i < pairs.length; i++) {
                pairs[i] = mine.get(i).pair();
                due[i] = dueByLoop.get(l).get(i);
            }
            parts.add(new PacedClose(loops[l], pairs, due, deadlineNs, reset, why, stragglers, cancelled,
                    sweepAtDeadline).start());
        }
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            int[] sum = new int[3];
            for (CompletableFuture<int[]> part : parts) {
                int[] counts = part.join();
                for (int i = 0; i < 3; i++) {
                    sum[i] += counts[i];
                }
            }
            return sum;
        });
    }

    /** The admin API's name of a connection: its loop's sequence number, interleaved over the loops. */
    String id(PairHandle handle) {
        return Long.toString(handle.pair().sequence() * loops.length + handle.pair().loop().id());
    }

    /**
     * Closes the connection called {@code id} (see {@link #id}) on its loop with the reason
     * {@code "closed by admin: REASON"}; completes with whether it was relaying and is now closed.
     */
    CompletableFuture<Boolean> close(long id, String reason) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        if (id < 0) {
            done.complete(false);
            return done;
        }
        EventLoop loop = loops[(int) (id % loops.length)];
        long sequence = id / loops.length;
        if (loop.terminated().isDone()) {
            done.complete(false);
            return done;
        }
        loop.execute(() -> {
            ConnectionPair[] found = new ConnectionPair[1];
            ConnectionPair.forEachRelaying(loop, pair -> {
                if (pair.sequence() == sequence) {
                    found[0] = pair;
                }
            });
            if (found[0] != null) {
                found[0].close(false, "closed by admin: " + reason);
            }
            done.complete(found[0] != null);
        });
        if (loop.terminated().isDone()) { // see LoopTasks.onLoop: no callback left on the loop's future
            done.complete(false);
        }
        return done;
    }

    /**
     * The valid selection keys of every loop, each loop counting its own (for tests and diagnostics: at
     * rest, only the listeners' keys remain). Blocks up to a second per loop; not from a loop.
     */
    int registeredKeys() {
        int sum = 0;
        for (EventLoop loop : loops) {
            CompletableFuture<Integer> counted = LoopTasks.value(loop, () -> {
                int n = 0;
                for (SelectionKey key : loop.selector().keys()) {
                    if (key.isValid()) {
                        n++;
                    }
                }
                return n;
            });
            try {
                sum += counted.get(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("registeredKeys: interrupted", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("registeredKeys: loop " + loop.id() + " did not answer", e);
            }
        }
        return sum;
    }
}
