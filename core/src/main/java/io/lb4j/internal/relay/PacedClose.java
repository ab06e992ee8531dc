package io.lb4j.internal.relay;

import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Closes a given set of pairs of one event loop, each at its own due time, as one timer on that
 * loop's wheel that re-arms for the next due pair: a paced drain costs no thread and no lock, and
 * forwarding on the loop goes on between the closes. At the hard deadline whatever is left is closed
 * at once; at the end a sweep closes pairs that match the drain but opened after it began.
 */
public final class PacedClose extends Timer {
    private final EventLoop loop;
    private final ConnectionPair[] pairs;
    private final long[] dueNs;
    private final long deadlineNs;
    private final boolean reset;
    private final String why;
    private final Predicate<ConnectionPair> stragglers;
    private final AtomicBoolean cancelled;
    private final boolean sweepAtDeadline;
    private final CompletableFuture<int[]> done = new CompletableFuture<>();
    private int next;
    private int closed;
    private int ended;
    private int atEnd;

    /**
     * @param loop the loop every pair lives on
     * @param pairs the pairs, in due order
     * @param dueNs when to close each ({@link System#nanoTime()} clock), ascending
     * @param deadlineNs the hard deadline
     * @param reset RST instead of FIN
     * @param why the close reason for events and the access log
     * @param stragglers which other pairs the final sweep closes, or {@code null} for none
     */
    public PacedClose(EventLoop loop, ConnectionPair[] pairs, long[] dueNs, long deadlineNs, boolean reset,
                      String why, Predicate<ConnectionPair> stragglers) {
        this(loop, pairs, dueNs, deadlineNs, reset, why, stragglers, null, false);
    }

    /**
     * As above, and cancellable: once {@code cancelled} is set, nothing more is closed (the drain was
     * called off). With {@code sweepAtDeadline} the final sweep runs at the deadline even when every
     * listed pair closed earlier, so a pair that was still connecting when the drain began cannot
     * outlive it.
     */
    public PacedClose(EventLoop loop, ConnectionPair[] pairs, long[] dueNs, long deadlineNs, boolean reset,
                      String why, Predicate<ConnectionPair> stragglers, AtomicBoolean cancelled,
                      boolean sweepAtDeadline) {
        this.cancelled = cancelled;
        this.sweepAtDeadline = sweepAtDeadline;
        this.loop = loop;
        this.pairs = pairs;
        this.dueNs = dueNs;
        this.deadlineNs = deadlineNs;
        this.reset = reset;
        this.why = why;
        this.stragglers = stragglers;
    }

    /**
     * Arms the first close on the loop; completes with {closed, ended by themselves, closed at the
     * end} when every pair is done (or the loop stopped, which closes them all anyway).
     */
    public CompletableFuture<int[]> start() {
        loop.execute(() -> {
            if (pairs.length == 0) {
                if (sweepAtDeadline) {
                    loop.timers().schedule(this, deadlineNs);
                } else {
                    finish();
                }
            } else {
                loop.timers().schedule(this, Math.min(dueNs[0], deadlineNs));
            }
        });
        loop.terminated().whenComplete((v, e) -> done.complete(new int[] {closed, ended, atEnd}));
        return done;
    }

    @Override
    protected void expired(long nowNs) {
        if (cancelled != null && cancelled.get()) {
            done.complete(new int[] {closed, ended, atEnd});
            return;
        }
        boolean late = nowNs - deadlineNs >= 0;
        while (next < pairs.length && (late || dueNs[next] - nowNs <= 0)) {
            ConnectionPair pair = pairs[next];
            pairs[next++] = null;
            if (!pair.relaying()) {
                ended++;
            } else {
                pair.close(reset, why);
                if (late) {
                    atEnd++;
                } else {
                    closed++;
                }
            }
        }
        if (next < pairs.length) {
            loop.timers().schedule(this, Math.min(dueNs[next], deadlineNs));
        } else if (sweepAtDeadline && !late) {
            loop.timers().schedule(this, deadlineNs);
        } else {
            finish();
        }
    }

    private void finish() {
        if (stragglers != null) {
            List<ConnectionPair> late = new ArrayList<>();
            ConnectionPair.forEachRelaying(loop, pair -> {
                if (stragglers.test(pair)) {
                    late.add(pair);
                }
            });
            for (ConnectionPair pair : late) {
                pair.close(reset, why);
                atEnd++;
            }
        }
        done.complete(new int[] {closed, ended, atEnd});
    }
}
