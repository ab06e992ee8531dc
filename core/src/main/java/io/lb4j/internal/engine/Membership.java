package io.lb4j.internal.engine;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.DrainReport;
import io.lb4j.HealthState;
import io.lb4j.internal.Config;
import io.lb4j.internal.Durations;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.Pool;
import io.lb4j.internal.probe.HealthChecker;
import io.lb4j.internal.registry.DrainDeadlines;
import io.lb4j.internal.relay.ConnectionPair;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Who the backends are and what state they are in: applies the registry's snapshots on the control
 * thread (joins, leaves, admin state, the paced drains a registry asks for), reacts to health changes,
 * and drains a backend on request. Closing the connections of a removed, downed or drained backend
 * goes through {@link LiveConnections}; rebuilding the policy's selection through the control thread,
 * so a slow rebuild never stalls a loop.
 */
final class Membership implements HealthChecker.StateSink {
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    private static final long FIRST_SNAPSHOT_WAIT_MS = 10_000;
    private static final int BLOCKING_PROBE_THREADS = 16;

    private final Config config;
    private final Pool pool;
    private final ExecutorService control;
    private final LiveConnections live;
    private final ConnectionEvents events;
    private final Operations operations;
    private final Faults faults;
    private final CompletableFuture<Void> firstSnapshot = new CompletableFuture<>();
    /** Paced drains asked for by the registry, by member; control thread only. */
    private final Map<BackendState, PacedDrain> pacedDrains = new IdentityHashMap<>();
    /** Set before the registry starts; null without a probe. */
    private HealthChecker checker;
    /** Runs user probes that block; null without a probe. */
    private ThreadPoolExecutor blocking;

    Membership(Config config, Pool pool, ExecutorService control, LiveConnections live, ConnectionEvents events,
               Operations operations, Faults faults) {
        this.config = config;
        this.pool = pool;
        this.control = control;
        this.live = live;
        this.events = events;
        this.operations = operations;
        this.faults = faults;
    }

    /** A paced drain the registry asked for; control thread only. */
    private record PacedDrain(Duration deadline, AtomicBoolean cancelled) {
    }

    /**
     * The health checker of the configured probe over {@code loops}, reporting its changes here, or
     * {@code null} without a probe; before the registry starts. User probes that block run on a bounded
     * executor of their own ({@value #BLOCKING_PROBE_THREADS} threads, named {@code PREFIXprobe-N}).
     */
    HealthChecker probe(EventLoop[] loops, String threadPrefix) {
        Config.Probing probing = config.probing();
        if (probing.probe() == null) {
            return null;
        }
        AtomicInteger probeThreads = new AtomicInteger();
        // core = max: a pool with 0 core threads and a queue runs one thread only, and one hung
        // check would then stall every blocking probe
        blocking = new ThreadPoolExecutor(BLOCKING_PROBE_THREADS, BLOCKING_PROBE_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(1024),
                r -> LoopTasks.daemon(r, threadPrefix + "probe-" + probeThreads.incrementAndGet()));
        blocking.allowCoreThreadTimeOut(true);
        checker = new HealthChecker(probing.probe(), loops, probing.intervalNs(), probing.timeoutNs(),
                probing.unhealthyThreshold(), probing.healthyThreshold(), probing.port(), blocking, faults, this,
                config.health().passiveFailureThreshold(), config.edge().sendProxy());
        return checker;
    }

    /** Ends the blocking probes' threads (closing). */
    void stopProbing() {
        if (blocking != null) {
            blocking.shutdownNow();
        }
    }

    /** The registry's sink: hands {@code backends} to the control thread, which applies it. Any thread. */
    void snapshot(List<Backend> backends) {
        List<Backend> copy;
        try {
            copy = List.copyOf(backends);
        } catch (NullPointerException e) {
            // a registry's garbage must not hurt it or the pool: count it, keep the last good set
            refused(new IllegalArgumentException("backends: null list or null backend"));
            return;
        }
        if (control.isShutdown()) {
            return; // a registry pushing after close: nothing left to update
        }
        control.execute(() -> apply(copy));
    }

    private void apply(List<Backend> backends) {
        try {
            Pool.Change change = pool.apply(backends);
            for (BackendState added : change.added()) {
                LOG.log(Level.DEBUG, () -> "backend " + added.backend().name() + " joined");
                if (checker != null && added.address() != null) {
                    checker.add(added);
                }
                operations.backendAdded(added.backend().name());
            }
            for (BackendState removed : change.removed()) {
                LOG.log(Level.DEBUG, () -> "backend " + removed.backend().name() + " left");
                operations.backendRemoved(removed.backend().name());
                if (config.health().removedGraceNs() >= 0) {
                    live.closeAfter(removed, config.health().removedGraceNs(), "backend removed");
                }
            }
            for (BackendState down : change.adminDown()) {
                if (config.health().closeOnAdminDown()) {
                    live.close(down, "backend admin down");
                }
            }
            for (BackendState up : change.adminUp()) {
                if (checker != null) {
                    checker.probeNow(up);
                }
            }
            pacedDrains(change.removed());
            firstSnapshot.complete(null);
        } catch (RuntimeException e) {
            refused(e);
        }
    }

    /**
     * Starts, restarts or calls off the paced drains the registry asks for ({@link DrainDeadlines}: a
     * member in admin state {@code DRAIN} with a deadline has its open connections closed spread over
     * it, oldest first, none left after it). A drain runs until the member leaves {@code DRAIN}, its
     * deadline changes (it starts again from now) or it leaves the pool. On the control thread.
     */
    private void pacedDrains(List<BackendState> removed) {
        for (BackendState gone : removed) {
            PacedDrain running = pacedDrains.remove(gone);
            if (running != null) {
                running.cancelled.set(true);
            }
        }
        BackendRegistry registry = config.registry();
        if (!(registry instanceof DrainDeadlines)) {
            return;
        }
        DrainDeadlines deadlines = (DrainDeadlines) registry;
        for (BackendState member : pool.members()) {
            Duration deadline = member.backend().adminState() == Backend.AdminState.DRAIN
                    ? deadlines.drainDeadline(member.backend().name()) : null;
            PacedDrain running = pacedDrains.get(member);
            if (running != null && running.deadline.equals(deadline)) {
                continue;
            }
            if (running != null) {
                running.cancelled.set(true);
                pacedDrains.remove(member);
                LOG.log(Level.INFO, () -> "backend " + member.backend().name() + ": paced drain called off");
            }
            if (deadline != null) {
                PacedDrain drain = new PacedDrain(deadline, new AtomicBoolean());
                pacedDrains.put(member, drain);
                LOG.log(Level.INFO, () -> "backend " + member.backend().name() + " draining: its connections close "
                        + "over " + Durations.format(deadline) + ", none left after it");
                long startNs = System.nanoTime();
                long windowNs = deadline.toNanos();
                live.closeSpread(pair -> pair.backend() == member, startNs, windowNs, startNs + windowNs, false,
                        "backend drained", drain.cancelled, true);
            }
        }
    }

    /**
     * A snapshot the pool refused whole (two backends of one name, say; {@code Pool.apply} changes
     * nothing then). The first one fails {@code start()}, so no ready line is ever printed with a
     * configuration error pending; a later one is counted and reported, and the last good set stays.
     */
    private void refused(RuntimeException e) {
        if (!firstSnapshot.isDone()) {
            firstSnapshot.completeExceptionally(new IllegalArgumentException(
                    "registry: first snapshot refused: " + e.getMessage(), e));
            return;
        }
        faults.record("registry snapshot", new IllegalArgumentException(e.getMessage()
                + " (the snapshot is refused whole; the last good set of backends stays)", e));
    }

    /** Waits for the registry's first snapshot to be applied (start-up). */
    void awaitFirstSnapshot() {
        LoopTasks.join(firstSnapshot, FIRST_SNAPSHOT_WAIT_MS, "first registry snapshot");
    }

    /** The health checker's sink: once per transition, from the backend's loop. */
    @Override
    public void changed(BackendState state, HealthState from, HealthState to, String reason) {
        if (from == to) {
            return;
        }
        // every change is logged once, here: the checker calls this once per transition
        LOG.log(to == HealthState.UP ? Level.INFO : Level.WARNING,
                () -> "backend " + state.backend().name() + " is " + to.name().toLowerCase() + " (" + reason + ")");
        control.execute(pool::rebuild);
        events.backendStateChanged(state, from, to, reason);
        if (to == HealthState.DOWN && config.health().closeOnUnhealthy()) {
            live.close(state, "backend unhealthy");
        }
    }

    /** See {@link io.lb4j.Balancer#drain(Backend, Duration, Duration, boolean)}; while running. */
    CompletableFuture<DrainReport> drain(Backend backend, long windowNs, long deadlineNs, boolean reset) {
        long startNs = System.nanoTime();
        BackendState target = null;
        for (BackendState m : pool.members()) {
            if (m.backend().name().equals(backend.name())) {
                target = m;
            }
        }
        if (target == null) {
            throw new IllegalArgumentException("drain: backend " + backend.name() + " is not a member");
        }
        BackendState state = target;
        state.drain(); // pairs check usable() before connecting: no new connection from here on
        control.execute(pool::rebuild);
        LOG.log(Level.INFO, () -> "backend " + state.backend().name() + " draining over "
                + Durations.format(Duration.ofNanos(windowNs)));
        Predicate<ConnectionPair> ofBackend = pair -> pair.backend() == state;
        return live.closeSpread(ofBackend, startNs, windowNs, startNs + deadlineNs, reset, "drain", null, false)
                .thenApply(counts -> new DrainReport(state.backend(), counts[0], counts[1], counts[2],
                        Duration.ofNanos(System.nanoTime() - startNs)));
    }
}
