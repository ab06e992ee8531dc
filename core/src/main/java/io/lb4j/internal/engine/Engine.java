package io.lb4j.internal.engine;

import io.lb4j.Backend;
import io.lb4j.BalancerStats;
import io.lb4j.Connection;
import io.lb4j.DrainReport;
import io.lb4j.Explanation;
import io.lb4j.internal.AddressText;
import io.lb4j.internal.Config;
import io.lb4j.internal.Durations;
import io.lb4j.internal.Faults;
import io.lb4j.internal.Pacing;
import io.lb4j.internal.export.ExplainJson;
import io.lb4j.internal.export.HttpServer;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.Pool;
import io.lb4j.internal.TokenBucket;
import io.lb4j.internal.probe.HealthChecker;
import io.lb4j.internal.relay.Admission;
import io.lb4j.internal.relay.ConnectionPair;
import io.lb4j.internal.relay.Frontend;
import io.lb4j.internal.relay.PairHandle;
import io.lb4j.internal.relay.ConnectionPair.RelayContext;
import io.lb4j.internal.relay.ReusePort;
import io.lb4j.internal.relay.WaitQueue;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The running balancer behind {@link io.lb4j.Balancer}: its phases (new, starting, running, closed),
 * start-up, front-door health, the drain and close. The work itself is done by rooms of their own:
 * {@link Listeners} (binding and accepting), {@link Membership} (registry snapshots, health changes),
 * {@link ConnectionEvents} (what pairs report), {@link LiveConnections} (listing, drains, closes) and
 * {@link Operations} (endpoints, MBeans); this class wires them and is the one door to them.
 */
public final class Engine {
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    private static final long STATS_WAIT_MS = 1_000;

    private enum Phase { NEW, STARTING, RUNNING, CLOSED }

    private final Config config;
    private final String name;
    private final String threadPrefix;
    private final Faults faults = new Faults();
    private final Listeners listeners;
    private final ConnectionEvents events;
    private final Operations operations;
    private Phase phase = Phase.NEW;
    private boolean handedOver;
    private EventLoop[] loops;
    private Pool pool;
    private WaitQueue queue;
    private Membership membership;
    private LiveConnections live;
    private ExecutorService control;
    private volatile boolean loopsRunning;
    private volatile boolean frontDown;
    /** The periodic rebalancer, or one made for the first {@link #rebalanceNow()}; guarded by this. */
    private Rebalancer rebalancer;

    /**
     * @param config the settings
     * @param name the balancer's name in thread names, MBean names and a {@code balancer} label on
     *     metrics, or {@code null} for none (threads plain, MBeans named after the first listener, no label)
     */
    public Engine(Config config, String name) {
        this.name = name;
        this.threadPrefix = name == null ? "lb4j-" : "lb4j-" + name + "-";
        this.config = config;
        this.listeners = new Listeners(faults);
        this.events = new ConnectionEvents(config.operations().listener(), faults);
        this.operations = new Operations(name, faults);
    }

    /** See {@link io.lb4j.Balancer#start()}. */
    public void start() {
        synchronized (this) {
            if (phase != Phase.NEW) {
                throw new IllegalStateException("start: balancer is " + phase.name().toLowerCase()
                        + " (a Balancer starts once; build a new one to start again)");
            }
            phase = Phase.STARTING;
        }
        try {
            startUp();
        } catch (RuntimeException | Error e) {
            stopEverything();
            listeners.closeUnregistered();
            synchronized (this) {
                phase = Phase.CLOSED;
            }
            throw e;
        }
        synchronized (this) {
            phase = Phase.RUNNING;
        }
    }

    private void startUp() {
        Warmup.run(config.probing().probe() != null);
        int n = config.relaying().eventLoops();
        loops = new EventLoop[n];
        for (int i = 0; i < n; i++) {
            loops[i] = new EventLoop(i, threadPrefix + "loop-" + i, faults);
        }
        live = new LiveConnections(loops, () -> loopsRunning);
        control = Executors.newSingleThreadExecutor(r -> LoopTasks.daemon(r, threadPrefix + "control"));
        events.trimOn(control);
        // before the first probes, so that a running recording sees every health change, the first ones included
        events.loadFlightEvents(threadPrefix + "init-jfr");
        Config.Health health = config.health();
        pool = new Pool(config.policy(), n, config.probing().probe() != null, health.initial(), health.panicMode(),
                faults);
        membership = new Membership(config, pool, control, live, events, operations, faults);
        HealthChecker checker = membership.probe(loops, threadPrefix);
        if (checker != null) {
            events.probedBy(checker);
        }
        Pacing pacing = config.longLived().pacing();
        pool.connectRate(pacing.backendConnectRate());
        queue = new WaitQueue(pacing.queueTimeoutNs(), pacing.maxQueued(), n);
        if (queue.enabled()) {
            pool.onSlotFreed(queue::slotFreed);
            pool.onRebuilt(queue::poolChanged);
        }
        // the first snapshot (resolving names, building the policy's selection: a Maglev table costs
        // about 10 ms on a first start) runs on the control thread while this one binds and starts loops
        config.registry().start(membership::snapshot);
        Admission admission = new Admission(config.edge(), pacing.acceptRate() == 0 ? null
                : new TokenBucket(pacing.acceptRate(), pacing.acceptBurst(), System.nanoTime()));
        Config.Relaying relaying = config.relaying();
        RelayContext relay = new RelayContext(pool, relaying.idleTimeoutNs(), relaying.resetOnIdle(),
                relaying.connectTimeoutNs(), relaying.connectAttempts(), events, admission,
                config.longLived().keepAliveIdleNs(), queue);
        boolean shared = config.longLived().reusePort();
        if (!shared) {
            for (InetSocketAddress requested : config.listen()) {
                listeners.bind(relay, loops, requested, false);
            }
        }
        if (config.operations().metricsAddress() != null) {
            operations.bindStatus(config.operations().metricsAddress(), loops[0], this::statsAsync,
                    query -> ExplainJson.render(explain(ExplainJson.client(query))), shared);
        }
        operations.bindFrontHealth(config.longLived(), loops[loops.length - 1], this::frontHealthy);
        for (EventLoop loop : loops) {
            loop.start();
        }
        loopsRunning = true;
        membership.awaitFirstSnapshot();
        for (BackendState member : pool.members()) {
            if (member.address() == null) {
                throw new UncheckedIOException("backend " + member.backend().name() + ": unknown host",
                        new UnknownHostException(member.backend().host()));
            }
        }
        awaitFirstProbes();
        // first results queue a rebuild on the control thread: wait for it, so the first client sees them
        LoopTasks.join(CompletableFuture.runAsync(pool::rebuild, control), 5_000, "first selection");
        // the first results queued their rebuilds on the control thread before completing; wait for
        // them, so that the first client finds the healthy backends in the policy's selection too
        LoopTasks.join(CompletableFuture.runAsync(() -> { }, control), 5_000, "first selection");
        if (shared) {
            // only now: a shared listener takes its share of new clients from the moment it binds,
            // and they would wait through the first probes, or be reset if start failed after all
            for (InetSocketAddress requested : config.listen()) {
                listeners.bind(relay, loops, requested, true);
            }
            LOG.log(Level.INFO, ReusePort.migrateReqLine(ReusePort.migrateReq()));
        }
        if (config.operations().jmx()) {
            String label = name != null ? name : AddressText.format(listeners.frontends().get(0).address());
            operations.registerMBeans(label, this::stats, pool::members, control);
        }
        List<CompletableFuture<Void>> registered = operations.register();
        registered.addAll(listeners.register());
        LoopTasks.join(CompletableFuture.allOf(registered.toArray(new CompletableFuture<?>[0])), 5_000,
                "register listeners");
        if (pacing.rebalanceIntervalNs() > 0) {
            Rebalancer periodic = new Rebalancer(loops[0], control, () -> pool.current().members(), live::list,
                    pacing, faults);
            synchronized (this) {
                rebalancer = periodic;
            }
            periodic.start();
        }
    }

    private void awaitFirstProbes() {
        List<CompletableFuture<Void>> firsts = new ArrayList<>();
        for (BackendState member : pool.members()) {
            firsts.add(member.firstProbe());
        }
        long waitMs = config.probing().timeoutNs() / 1_000_000 + 1_000;
        try {
            CompletableFuture.allOf(firsts.toArray(new CompletableFuture<?>[0])).get(waitMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.log(Level.WARNING, "first probes not all answered within " + waitMs + " ms; starting anyway");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("start: interrupted while probing backends", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("start: " + e.getCause(), e.getCause());
        }
    }

    /** See {@link io.lb4j.Balancer#addresses()}. */
    public synchronized List<InetSocketAddress> addresses() {
        requireStarted("addresses");
        return listeners.addresses();
    }

    /**
     * Healthy for a balancer in front: running, not about to drain or draining, and at least the
     * minimum of usable backends (drain, down and admin-down ones do not count), and no event loop has
     * failed. Lock-free.
     */
    private boolean frontHealthy() {
        if (frontDown || events.draining() || !loopsRunning || faults.loopFailures() > 0) {
            return false;
        }
        int usable = 0;
        for (BackendState member : pool.current().members()) {
            if (member.usable()) {
                usable++;
            }
        }
        return usable >= config.longLived().frontHealthMinBackends();
    }

    /** See {@link io.lb4j.Balancer#frontHealthAddress()}. */
    public synchronized InetSocketAddress frontHealthAddress() {
        requireStarted("frontHealthAddress");
        return operations.frontHealthAddress();
    }

    /** See {@link io.lb4j.Balancer#metricsAddress()}. */
    public synchronized InetSocketAddress metricsAddress() {
        requireStarted("metricsAddress");
        return operations.metricsAddress();
    }

    private void requireStarted(String what) {
        if (phase == Phase.NEW || phase == Phase.STARTING) {
            throw new IllegalStateException(what + ": balancer not started (call start() first)");
        }
    }

    private synchronized void requireRunning(String what) {
        if (phase != Phase.RUNNING) {
            throw new IllegalStateException(what + ": balancer is " + phase.name().toLowerCase()
                    + " (call it between start() and close())");
        }
    }

    /**
     * See {@link io.lb4j.Balancer#stats()}: waits up to {@link #STATS_WAIT_MS} for the loops, then
     * reads the shares of loops that have not answered directly (racy, but never blocks for long).
     */
    public BalancerStats stats() {
        return gather().await(STATS_WAIT_MS);
    }

    /**
     * The same snapshot without blocking: completes once every loop has contributed its share (for
     * callers on an event loop, such as the metrics endpoint).
     */
    private CompletableFuture<BalancerStats> statsAsync() {
        return gather().whenDone();
    }

    private StatsGather gather() {
        EventLoop[] running;
        synchronized (this) {
            running = loops;
        }
        return StatsGather.start(listeners.frontends(), pool != null ? pool.members() : List.of(),
                listeners.acceptors(), events::rebalanced, faults, queue, running, loopsRunning);
    }

    /** {@code stats} as Prometheus text, with a {@code balancer} label on every sample when this balancer has a name. */
    public String prometheus(BalancerStats stats) {
        return operations.prometheus(stats);
    }

    // ---- long-lived connections: handles, explain, paced drain ----

    /** Handles of the pairs relaying now that {@code filter} accepts, oldest first (see {@link LiveConnections}). */
    public CompletableFuture<List<PairHandle>> connectionsAsync(Predicate<ConnectionPair> filter) {
        LiveConnections running;
        synchronized (this) {
            running = live;
        }
        return running == null ? CompletableFuture.completedFuture(List.of()) : running.list(filter);
    }

    /** See {@link io.lb4j.Balancer#connections()}; {@code backendName} null = every backend. */
    public List<Connection> connections(String backendName) {
        requireRunning("connections");
        return live.connections(backendName);
    }

    /** See {@link io.lb4j.Balancer#explain(InetSocketAddress)}. */
    public Explanation explain(InetSocketAddress client) {
        Objects.requireNonNull(client, "client");
        if (client.isUnresolved()) {
            throw new IllegalArgumentException("explain: " + client + " (expected: an IP address and port)");
        }
        requireRunning("explain");
        InetSocketAddress frontend = listeners.frontends().get(0).address();
        return Explainer.explain(client, frontend, pool, config.relaying().connectAttempts(), faults);
    }

    /** See {@link io.lb4j.Balancer#drain(Backend, Duration, Duration, boolean)}. */
    public CompletableFuture<DrainReport> drain(Backend backend, long windowNs, long deadlineNs, boolean reset) {
        Objects.requireNonNull(backend, "backend");
        requireRunning("drain");
        return membership.drain(backend, windowNs, deadlineNs, reset);
    }

    // ---- run-time operations (the CLI's admin API) ----

    /** Whether the listeners are shared with {@code SO_REUSEPORT} (so must the admin API's be). */
    public boolean reusePort() {
        return config.longLived().reusePort();
    }

    /** The loop that serves operations endpoints (metrics, admin). */
    public EventLoop operationsLoop() {
        requireRunning("operationsLoop");
        return loops[0];
    }

    /**
     * Serves {@code server} (bound on {@link #operationsLoop()}) until the balancer closes: registers it
     * now, stops it when the drain begins, closes it on close; fails when it cannot be registered.
     */
    public void attach(HttpServer server) {
        requireRunning("attach");
        operations.attach(server);
    }

    /** See {@link Operations#adminRequest}. */
    public void adminRequest(int status) {
        operations.adminRequest(status);
    }

    /** See {@link Operations#adminChange}. */
    public void adminChange() {
        operations.adminChange();
    }

    /** The pool's members now, in registry order, with their live state. */
    public List<BackendState> members() {
        return pool.members();
    }

    /**
     * Completes once every registry snapshot handed in before this call has been applied (the control
     * thread runs them in order).
     */
    public CompletableFuture<Void> settled() {
        try {
            return CompletableFuture.runAsync(() -> { }, control);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("the balancer is closing", e));
        }
    }

    /** See {@link LiveConnections#id}. */
    public String connectionId(PairHandle handle) {
        return live.id(handle);
    }

    /** See {@link LiveConnections#close(long, String)}. */
    public CompletableFuture<Boolean> closeConnection(long id, String reason) {
        return live.close(id, reason);
    }

    /**
     * A rebalancing round now (see {@link Rebalancer#now()}), with the configured parameters, or the
     * CLI's defaults (0.2 spread, 10% per minute) when rebalancing is off; completes with the number of
     * connections it closes.
     */
    public CompletableFuture<Integer> rebalanceNow() {
        requireRunning("rebalance");
        Rebalancer r;
        synchronized (this) {
            if (rebalancer == null) {
                Pacing p = config.longLived().pacing();
                rebalancer = new Rebalancer(loops[0], control, () -> pool.current().members(), live::list,
                        new Pacing(p.acceptRate(), p.acceptBurst(), p.backendConnectRate(), 1_000_000_000L, 0.2, 0.1,
                                p.queueTimeoutNs(), p.maxQueued()),
                        faults);
            }
            r = rebalancer;
        }
        return r.now();
    }

    /** See {@link LiveConnections#registeredKeys()}; for tests and diagnostics. */
    public int registeredKeys() {
        return live.registeredKeys();
    }

    /** See {@link Listeners#count()}; for tests and diagnostics. */
    public int listeners() {
        return listeners.count();
    }

    /** Faults caught and survived since start, for tests and diagnostics. */
    public Faults faults() {
        return faults;
    }

    // ---- the end: close, hand-over ----

    /** See {@link io.lb4j.Balancer#close()}. */
    public void close() {
        close(config.longLived().frontHealthGraceNs(), config.relaying().drainTimeoutNs());
    }

    /** See {@link io.lb4j.Balancer#close(Duration)}: grace and drain together within {@code timeoutNs}. */
    public void close(long timeoutNs) {
        long graceNs = Math.min(config.longLived().frontHealthGraceNs(), timeoutNs);
        close(graceNs, timeoutNs - graceNs);
    }

    private void close(long frontGraceNs, long drainTimeoutNs) {
        synchronized (this) {
            if (phase == Phase.CLOSED) {
                return;
            }
            if (phase == Phase.NEW) {
                phase = Phase.CLOSED;
                return;
            }
            phase = Phase.CLOSED;
        }
        frontDown = true; // the front balancer sees unhealthy before anything else changes
        long graceMs = frontGraceNs / 1_000_000;
        if (graceMs > 0) {
            LoopTasks.joinQuietly(events.drained(), graceMs); // still accepting; closeNow() cuts this short
        }
        events.markDraining();
        List<CompletableFuture<Void>> stopped = new ArrayList<>();
        listeners.stop(stopped);
        operations.stopAccepting(stopped);
        LoopTasks.joinQuietly(CompletableFuture.allOf(stopped.toArray(new CompletableFuture<?>[0])), 5_000);
        drainThenStop(config.longLived().drainPacingNs(), drainTimeoutNs);
    }

    /**
     * Once nothing accepts any more: lets the open pairs finish for up to {@code timeoutNs}, closing
     * them spread over {@code pacingNs} (oldest first) when that is above 0, then stops everything.
     */
    private void drainThenStop(long pacingNs, long timeoutNs) {
        CompletableFuture<Void> drained = events.drain();
        if (pacingNs > 0 && !drained.isDone()) {
            long startNs = System.nanoTime();
            live.closeSpread(pair -> true, startNs, pacingNs, startNs + timeoutNs, false, "balancer draining",
                    null, false);
        }
        LoopTasks.joinQuietly(drained, timeoutNs / 1_000_000);
        stopEverything();
    }

    /**
     * See {@link io.lb4j.Balancer#handOver()}: {@code pacedNs} below 0 drains as {@link #close()}
     * does, else closes the open pairs spread over it.
     */
    public void handOver(long pacedNs) {
        List<Frontend> handed;
        synchronized (this) {
            if (!config.longLived().reusePort()) {
                throw new IllegalStateException("handOver: reusePort is off (expected: a balancer built with "
                        + "reusePort(true), so that its successor can bind the same addresses)");
            }
            if (handedOver) {
                throw new IllegalStateException("handOver: handed over already (a balancer hands over once; "
                        + "the successor hands over to the next one)");
            }
            if (phase != Phase.RUNNING) {
                throw new IllegalStateException("handOver: balancer is " + phase.name().toLowerCase()
                        + " (call it between start() and close())");
            }
            for (EventLoop loop : loops) {
                if (loop.inLoop()) {
                    throw new IllegalStateException("handOver: called on an event loop (a listener); "
                            + "call it from another thread");
                }
            }
            handed = listeners.frontends();
            listeners.requireSuccessors(loops.length);
            handedOver = true;
            phase = Phase.CLOSED;
        }
        frontDown = true;
        operations.handOver();
        int taken = listeners.handOver();
        long pacingNs = pacedNs >= 0 ? pacedNs : config.longLived().drainPacingNs();
        long timeoutNs = pacedNs >= 0 ? pacedNs : config.relaying().drainTimeoutNs();
        StringBuilder addresses = new StringBuilder();
        for (Frontend frontend : handed) {
            addresses.append(addresses.length() == 0 ? "" : " ").append(AddressText.format(frontend.address()));
        }
        LOG.log(Level.INFO, () -> "handed over " + addresses + ": listeners closed, " + taken
                + " queued clients accepted first; draining " + events.open() + " connections within "
                + Durations.format(Duration.ofNanos(timeoutNs)));
        drainThenStop(pacingNs, timeoutNs);
    }

    /** See {@link io.lb4j.Balancer#closeNow()}. */
    public void closeNow() {
        events.stopWaiting();
        close();
    }

    private void stopEverything() {
        events.markDraining();
        // never behind the control thread: it may be busy for seconds (the first MBean registration in
        // a JVM, a slow policy rebuild), and a signal right after start then kept the runner alive
        operations.close();
        if (loops != null) {
            for (EventLoop loop : loops) {
                if (loop != null) {
                    loop.shutdown();
                }
            }
            for (EventLoop loop : loops) {
                if (loop != null) {
                    LoopTasks.joinQuietly(loop.terminated(), 5_000);
                }
            }
        }
        try {
            config.registry().close();
        } catch (Exception e) {
            faults.record("registry close", e);
        }
        if (control != null) {
            control.shutdownNow();
        }
        if (membership != null) {
            membership.stopProbing();
        }
    }
}
