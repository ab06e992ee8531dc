package io.lb4j.internal.engine;

import io.lb4j.BalancerListener;
import io.lb4j.ConnectionEvent;
import io.lb4j.HealthState;
import io.lb4j.internal.Faults;
import io.lb4j.internal.export.FlightEvents;
import io.lb4j.internal.export.NativeHeapTrim;
import io.lb4j.internal.export.Recorder;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.probe.HealthChecker;
import io.lb4j.internal.relay.ConnectionPair;
import io.lb4j.internal.relay.Frontend;
import io.lb4j.internal.relay.ConnectionPair.RelayContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the pairs report, on their loops: the host's {@link BalancerListener} and Flight Recorder
 * events, the frontends' counters, passive health and the count of open pairs that a drain waits on.
 * A listener's method that is not overridden costs no event object; whatever a listener throws costs
 * nothing but a counted fault.
 */
final class ConnectionEvents implements RelayContext.Events {
    private final BalancerListener listener;
    private final Faults faults;
    private final boolean wantsOpened;
    private final boolean wantsClosed;
    private final boolean wantsRejected;
    private final AtomicInteger open = new AtomicInteger();
    /** Connections closed by the rebalancer; rare, so one shared adder. */
    private final LongAdder rebalanced = new LongAdder();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;
    /** Null until the recorder's event classes are loaded (then events are committed when recorded). */
    private volatile FlightEvents flight;
    /** Set before the loops start; null when the native heap is not trimmed here (see NativeHeapTrim). */
    private NativeHeapTrim trim;
    /** Set before the loops start; null without a probe. */
    private HealthChecker checker;

    ConnectionEvents(BalancerListener listener, Faults faults) {
        this.listener = listener;
        this.faults = faults;
        this.wantsOpened = overrides(listener, "connectionOpened");
        this.wantsClosed = overrides(listener, "connectionClosed");
        this.wantsRejected = overrides(listener, "connectionRejected");
    }

    /** Whether {@code listener} overrides a connection event method (else no event is made for it). */
    private static boolean overrides(BalancerListener listener, String method) {
        try {
            return listener.getClass().getMethod(method, ConnectionEvent.class).getDeclaringClass()
                    != BalancerListener.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    /**
     * Loads the Flight Recorder's event classes: at once when the recorder is initialised (so that a
     * running recording sees every event from the first health change on), else on a thread named
     * {@code threadName}, as loading them initialises the recorder (about 150 ms); until then no event
     * is committed, as there is no recording to commit it to.
     */
    void loadFlightEvents(String threadName) {
        if (Recorder.initialised()) {
            flight = Recorder.events();
        } else {
            LoopTasks.daemon(() -> flight = Recorder.events(), threadName).start();
        }
    }

    /** Trims the native heap after the open count moved a lot (see {@link NativeHeapTrim}); before the loops start. */
    void trimOn(Executor control) {
        trim = NativeHeapTrim.create(open, control, faults);
    }

    /** Reports failed connects to {@code healthChecker} (passive health); before the loops start. */
    void probedBy(HealthChecker healthChecker) {
        this.checker = healthChecker;
    }

    @Override
    public void accepted(ConnectionPair pair) {
        int count = open.incrementAndGet();
        if (trim != null) {
            trim.moved(count, pair.loop());
        }
        pair.frontendListener().pairOpened(loopOf(pair));
    }

    @Override
    public void opened(ConnectionPair pair) {
        // counted per backend by the pair itself; events only when someone listens
        long connectNs = pair.loop().nowNs() - pair.openedNs();
        FlightEvents recorder = flight;
        if (recorder != null) {
            recorder.connectionOpened(pair.client(), pair.backend().backend(), connectNs);
        }
        if (wantsOpened) {
            ConnectionEvent event = new ConnectionEvent(Instant.now(), pair.client(), pair.frontend(),
                    pair.backend().backend(), Duration.ofNanos(connectNs), pair.bytesToBackend(),
                    pair.bytesToClient(), null, pair.proxyTlvs());
            try {
                listener.connectionOpened(event);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                faults.record("listener", t); // whatever a listener throws costs nothing but the count
            }
        }
        HealthChecker.connected(pair.backend());
    }

    @Override
    public void refused(Frontend frontend, InetSocketAddress client, String why) {
        if (wantsRejected && client != null) {
            try {
                listener.connectionRejected(new ConnectionEvent(Instant.now(), client, frontend.address(),
                        null, Duration.ZERO, 0, 0, why));
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                faults.record("listener", t); // whatever a listener throws costs nothing but the count
            }
        }
    }

    @Override
    public void closed(ConnectionPair pair, String why) {
        pair.frontendListener().pairClosed(loopOf(pair));
        if (Rebalancer.REASON.equals(why)) {
            rebalanced.increment();
        }
        boolean rejected = pair.backend() == null;
        if (pair.unserved() != null) {
            pair.frontendListener().unserved(loopOf(pair), pair.unserved());
        } else if (why.startsWith(ConnectionPair.BAD_PROXY_HEADER)) {
            pair.frontendListener().rejected(loopOf(pair)); // the contract's "rejected": refused, not unserved
        }
        long durationNs = pair.loop().nowNs() - pair.openedNs();
        FlightEvents recorder = flight;
        if (recorder != null) {
            recorder.connectionClosed(pair.client(), rejected ? null : pair.backend().backend(), durationNs,
                    pair.bytesToBackend(), pair.bytesToClient(), why);
        }
        if (rejected ? wantsRejected : wantsClosed) {
            ConnectionEvent event = new ConnectionEvent(Instant.now(), pair.client(), pair.frontend(),
                    rejected ? null : pair.backend().backend(), Duration.ofNanos(durationNs),
                    pair.bytesToBackend(), pair.bytesToClient(), why, pair.proxyTlvs());
            try {
                if (rejected) {
                    listener.connectionRejected(event);
                } else {
                    listener.connectionClosed(event);
                }
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                faults.record("listener", t); // whatever a listener throws costs nothing but the count
            }
        }
        int count = open.decrementAndGet();
        if (count == 0 && draining) {
            drained.complete(null);
        }
        if (trim != null) {
            trim.moved(count, pair.loop());
        }
    }

    private static int loopOf(ConnectionPair pair) {
        return pair.loop().id();
    }

    @Override
    public void connectFailed(BackendState backend, String why) {
        if (checker != null) {
            checker.connectFailed(backend, why);
        }
    }

    /** A backend's health changed: the Flight Recorder event and the listener's call. Any thread. */
    void backendStateChanged(BackendState state, HealthState from, HealthState to, String reason) {
        FlightEvents recorder = flight;
        if (recorder != null) {
            recorder.backendStateChanged(state.backend(), from.name(), to.name(), reason);
        }
        try {
            listener.backendStateChanged(state.backend(), from, to, reason);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            faults.record("listener", t);
        }
    }

    /** Pairs open now, connecting or relaying. */
    int open() {
        return open.get();
    }

    /** Connections the rebalancer has closed. */
    long rebalanced() {
        return rebalanced.sum();
    }

    /** Whether the balancer drains (or is about to stop): front-door health answers unhealthy. */
    boolean draining() {
        return draining;
    }

    /** From now on the balancer drains; {@link #drained()} completes when the last pair closes. */
    void markDraining() {
        draining = true;
    }

    /** As {@link #markDraining()}, and completes {@link #drained()} at once when no pair is open. */
    CompletableFuture<Void> drain() {
        draining = true;
        if (open.get() == 0) {
            drained.complete(null);
        }
        return drained;
    }

    /** Completes once draining and no pair is open, or once {@link #stopWaiting()} is called. */
    CompletableFuture<Void> drained() {
        return drained;
    }

    /** Cuts short every wait on {@link #drained()} ({@code closeNow()}). */
    void stopWaiting() {
        drained.complete(null);
    }
}
