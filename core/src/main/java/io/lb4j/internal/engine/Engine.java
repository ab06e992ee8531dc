package io.lb4j.internal.engine;

import io.lb4j.Backend;
import io.lb4j.BalancerListener;
import io.lb4j.BalancerStats;
import io.lb4j.ConnectionEvent;
import io.lb4j.DrainReport;
import io.lb4j.Explanation;
import io.lb4j.HealthState;
import io.lb4j.internal.AddressText;
import io.lb4j.internal.Cidr;
import io.lb4j.internal.Config;
import io.lb4j.internal.Durations;
import io.lb4j.internal.Faults;
import io.lb4j.internal.LongLivedSettings;
import io.lb4j.internal.OptionalModules;
import io.lb4j.internal.Pacing;
import io.lb4j.internal.export.ExplainJson;
import io.lb4j.internal.export.FlightEvents;
import io.lb4j.internal.export.FrontHealthTcp;
import io.lb4j.internal.export.HttpServer;
import io.lb4j.internal.export.MBeans;
import io.lb4j.internal.export.MetricsServer;
import io.lb4j.internal.export.NativeHeapTrim;
import io.lb4j.internal.export.PrometheusText;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Timer;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.Pool;
import io.lb4j.internal.probe.HealthChecker;
import io.lb4j.internal.registry.DrainDeadlines;
import io.lb4j.internal.relay.Acceptor;
import io.lb4j.internal.relay.Admission;
import io.lb4j.internal.relay.ConnectionPair;
import io.lb4j.internal.relay.Frontend;
import io.lb4j.internal.relay.PacedClose;
import io.lb4j.internal.relay.PairHandle;
import io.lb4j.internal.relay.RelayContext;
import io.lb4j.internal.relay.ReusePort;
import io.lb4j.internal.relay.WaitQueue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The running balancer behind {@link io.lb4j.Balancer}: event loops, frontends, the pool, the health
 * checker and the control thread that applies registry snapshots and rebuilds the policy's selection.
 */
public final class Engine implements RelayContext.Events {
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    private static final int BACKLOG = 1024;
    private static final long FIRST_SNAPSHOT_WAIT_MS = 10_000;
    private static final int BLOCKING_PROBE_THREADS = 16;

    private enum Phase { NEW, STARTING, RUNNING, CLOSED }

    private final Config config;
    private final String name;
    private final String threadPrefix;
    private final Faults faults = new Faults();
    private final AtomicInteger open = new AtomicInteger();
    private final CompletableFuture<Void> firstSnapshot = new CompletableFuture<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final List<Frontend> frontends = new ArrayList<>();
    private final List<Acceptor> acceptors = new ArrayList<>();
    /** Connections closed by the rebalancer; rare, so one shared adder. */
    private final java.util.concurrent.atomic.LongAdder rebalanced = new java.util.concurrent.atomic.LongAdder();
    /** Paced drains asked for by the registry, by member; control thread only. */
    private final java.util.Map<BackendState, PacedDrain> pacedDrains = new java.util.IdentityHashMap<>();
    private Phase phase = Phase.NEW;
    private volatile boolean draining;
    private boolean handedOver;
    private EventLoop[] loops;
    private Pool pool;
    private WaitQueue queue;
    private HealthChecker checker;
    private ExecutorService control;
    private ThreadPoolExecutor blocking;
    // operations: events, metrics endpoint, JMX, Flight Recorder
    private static final long STATS_WAIT_MS = 1_000;
    private final boolean wantsOpened;
    private final boolean wantsClosed;
    private final boolean wantsRejected;
    /** Null until the recorder's event classes are loaded (then events are committed when recorded). */
    private volatile FlightEvents flight;
    private volatile boolean loopsRunning;
    private MetricsServer metrics;
    /** Servers the CLI attached after start (the admin API); guarded by this. */
    private final List<HttpServer> attached = new ArrayList<>();
    /** Admin API answers by class: 2xx, 4xx, 5xx. */
    private final java.util.concurrent.atomic.AtomicLongArray adminRequests =
            new java.util.concurrent.atomic.AtomicLongArray(3);
    /** Changes made through the admin API. */
    private final java.util.concurrent.atomic.AtomicLong adminChanges = new java.util.concurrent.atomic.AtomicLong();
    /** The periodic rebalancer, or one made for the first {@link #rebalanceNow()}; guarded by this. */
    private Rebalancer rebalancer;
    /** Set on the control thread (or in start() when the MBean server exists); cleared on close. */
    private volatile MBeans mbeans;
    /** Orders MBean changes against close, which never waits for the control thread. */
    private final Object mbeanLock = new Object();
    /** Set by close: no MBean registers from then on; guarded by {@link #mbeanLock}. */
    private boolean mbeansClosed;
    private volatile Thread controlThread;
    /** Null when the native heap is not trimmed here (see NativeHeapTrim). */
    private NativeHeapTrim trim;
    // front-door health: one of the two, or neither
    private MetricsServer frontHttp;
    private FrontHealthTcp frontTcp;
    private volatile boolean frontDown;

    /** An engine for {@code config}; nothing runs until {@link #start()}. */
    public Engine(Config config) {
        this(config, null);
    }

    /**
     * @param config the settings
     * @param name the balancer's name in thread names, MBean names and a {@code balancer} label on
     *     metrics, or {@code null} for none (threads plain, MBeans named after the first listener, no label)
     */
    public Engine(Config config, String name) {
        this.name = name;
        this.threadPrefix = name == null ? "lb4j-" : "lb4j-" + name + "-";
        this.config = config;
        this.wantsOpened = overrides(config.listener(), "connectionOpened");
        this.wantsClosed = overrides(config.listener(), "connectionClosed");
        this.wantsRejected = overrides(config.listener(), "connectionRejected");
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
            for (Acceptor acceptor : acceptors) {
                acceptor.closeUnregistered(); // bound, never registered: no loop closes it
            }
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
        initialiseNio(config.probe() != null);
        int n = config.eventLoops();
        loops = new EventLoop[n];
        for (int i = 0; i < n; i++) {
            loops[i] = new EventLoop(i, threadPrefix + "loop-" + i, faults);
        }
        control = Executors.newSingleThreadExecutor(r -> controlThread = daemon(r, threadPrefix + "control"));
        trim = NativeHeapTrim.create(open, control, faults);
        AtomicInteger probeThreads = new AtomicInteger();
        // core = max: a pool with 0 core threads and a queue runs one thread only, and one hung
        // check would then stall every blocking probe
        blocking = new ThreadPoolExecutor(BLOCKING_PROBE_THREADS, BLOCKING_PROBE_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(1024), r -> daemon(r, threadPrefix + "probe-" + probeThreads.incrementAndGet()));
        blocking.allowCoreThreadTimeOut(true);
        // before the first probes, so that a running recording sees every health change, the first
        // ones included; without a recording the recorder is not initialised, and nothing is lost
        // while the classes load in the background
        if (FlightEvents.recorderInitialised()) {
            flight = FlightEvents.create();
        } else {
            // until loaded, events are not committed: there is no recording to commit them to
            daemon(() -> flight = FlightEvents.create(), threadPrefix + "init-jfr").start();
        }
        Config.Health health = config.health();
        pool = new Pool(config.policy(), n, config.probe() != null, health.initial(), health.panicMode(), faults);
        if (config.probe() != null) {
            checker = new HealthChecker(config.probe(), loops, config.probeIntervalNs(), config.probeTimeoutNs(),
                    config.unhealthyThreshold(), config.healthyThreshold(), config.probePort(), blocking, faults,
                    this::stateChanged, health.passiveFailureThreshold(), config.edge().sendProxy());
        }
        Pacing pacing = config.lifecycle().pacing();
        pool.connectRate(pacing.backendConnectRate());
        queue = new WaitQueue(pacing.queueTimeoutNs(), pacing.maxQueued(), n);
        if (queue.enabled()) {
            pool.onSlotFreed(queue::slotFreed);
            pool.onRebuilt(queue::poolChanged);
        }
        // the first snapshot (resolving names, building the policy's selection: a Maglev table costs
        // about 10 ms on a first start) runs on the control thread while this one binds and starts loops
        config.registry().start(this::snapshot);
        Admission admission = new Admission(config.edge(), pacing.acceptRate() == 0 ? null
                : new io.lb4j.internal.pool.TokenBucket(pacing.acceptRate(), pacing.acceptBurst(), System.nanoTime()));
        RelayContext relay = new RelayContext(pool, config.idleTimeoutNs(), config.resetOnIdle(), config.connectTimeoutNs(),
                config.connectAttempts(), this, admission, config.lifecycle().keepAliveIdleNs(), queue);
        if (!config.lifecycle().reusePort()) {
            for (InetSocketAddress requested : config.listen()) {
                bind(relay, requested);
            }
        }
        if (config.metricsAddress() != null) {
            metrics = MetricsServer.bind(config.metricsAddress(), loops[0], this::statsAsync, faults,
                    config.lifecycle().reusePort());
            metrics.explain(query -> ExplainJson.render(explain(ExplainJson.client(query))));
            metrics.prometheus(this::prometheus);
        }
        bindFrontHealth();
        for (EventLoop loop : loops) {
            loop.start();
        }
        loopsRunning = true;
        awaitFirstSnapshot();
        for (BackendState member : pool.members()) {
            if (member.address() == null) {
                throw new UncheckedIOException("backend " + member.backend().name() + ": unknown host",
                        new UnknownHostException(member.backend().host()));
            }
        }
        awaitFirstProbes();
        // first results queue a rebuild on the control thread: wait for it, so the first client sees them
        join(CompletableFuture.runAsync(pool::rebuild, control), 5_000, "first selection");
        // the first results queued their rebuilds on the control thread before completing; wait for
        // them, so that the first client finds the healthy backends in the policy's selection too
        join(CompletableFuture.runAsync(() -> { }, control), 5_000, "first selection");
        if (config.lifecycle().reusePort()) {
            // only now: a shared listener takes its share of new clients from the moment it binds,
            // and they would wait through the first probes, or be reset if start failed after all
            for (InetSocketAddress requested : config.listen()) {
                bind(relay, requested);
            }
            LOG.log(Level.INFO, ReusePort.migrateReqLine(ReusePort.migrateReq()));
        }
        if (config.jmx() && !OptionalModules.readable("java.management")) {
            LOG.log(Level.DEBUG, "JMX off: the module java.management is not in this runtime");
        } else if (config.jmx()) {
            if (MBeans.platformServerExists()) {
                registerMBeans();
            } else {
                control.execute(this::registerMBeans); // ordered before any later membership change
            }
        }
        List<CompletableFuture<Void>> registered = new ArrayList<>();
        if (metrics != null) {
            MetricsServer server = metrics;
            registered.add(onLoop(server.loop(), () -> {
                try {
                    server.register();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        if (frontHttp != null) {
            MetricsServer server = frontHttp;
            registered.add(onLoop(server.loop(), () -> {
                try {
                    server.register();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        if (frontTcp != null) {
            FrontHealthTcp server = frontTcp;
            registered.add(onLoop(server.loop(), () -> {
                try {
                    server.register();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        for (Acceptor acceptor : acceptors) {
            registered.add(onLoop(acceptor.loop(), () -> {
                try {
                    acceptor.register();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        join(CompletableFuture.allOf(registered.toArray(new CompletableFuture<?>[0])), 5_000, "register listeners");
        if (pacing.rebalanceIntervalNs() > 0) {
            Rebalancer periodic = new Rebalancer(loops[0], control, () -> pool.current().members(),
                    this::connectionsAsync, pacing, faults);
            synchronized (this) {
                rebalancer = periodic;
            }
            periodic.start();
        }
    }

    /**
     * Some JDK classes open a descriptor in their static initialiser (the NIO dispatcher's pre-close
     * socket); run them now, so that their first use never falls on a moment the process is out of
     * descriptors, where the failed initialiser would kill an event loop.
     */
    private static void initialiseNio(boolean probing) {
        // the same for the logging configuration and the time zone, both read from files on first use:
        // on a thread of their own, as they take 5-10 ms in a fresh JVM and nothing here needs them yet.
        // With probes, one record is formatted there too: the first line a JVM logs costs 30-40 ms of
        // formatter and date-time set-up, and the first probe result logs one on start()'s path.
        daemon(() -> {
            // lb4j's logger (the LoggerFinder, and java.util.logging's configuration when present);
            // the host's handlers are left alone: only a formatter of lb4j's own is warmed
            if (LOG.isLoggable(Level.INFO) && probing && OptionalModules.readable("java.logging")) {
                new java.util.logging.SimpleFormatter().format(
                        new java.util.logging.LogRecord(java.util.logging.Level.INFO, "lb4j"));
            }
            java.util.TimeZone.getDefault();
            loadFirstConnectionClasses();
        }, "lb4j-init").start();
        try (java.nio.channels.SocketChannel socket = java.nio.channels.SocketChannel.open();
             ServerSocketChannel server = ServerSocketChannel.open()) {
            socket.configureBlocking(false);
            server.configureBlocking(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a socket: " + e.getMessage(), e);
        }
    }

    /**
     * Loads, off the loops, the classes the first connection would otherwise load on its loop while
     * clients wait: the socket-option registry behind {@code TCP_NODELAY} and the pair's own; keepalive's
     * a second later. With {@code -Xlog:class+load}, 17 classes loaded once clients came before (about
     * 3 ms on the first connection in a fresh JVM), 2 after (what the JIT resolves compiling the reads).
     */
    private static void loadFirstConnectionClasses() {
        try (java.nio.channels.SocketChannel socket = java.nio.channels.SocketChannel.open()) {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException | RuntimeException e) {
            return; // no descriptor to spare right now: the first connection loads them instead
        }
        ClassLoader loader = Engine.class.getClassLoader();
        for (String name : new String[] {ConnectionPair.class.getName(), ConnectionPair.class.getPackageName()
                + ".KeepAlive", Cidr.class.getName(), HealthChecker.class.getName(),
            io.lb4j.internal.proxy.ProxyHeaderParser.Malformed.class.getName()}) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return; // renamed or unloadable: the first connection loads what it needs itself
            }
        }
    }

    private void bind(RelayContext relay, InetSocketAddress requested) {
        InetSocketAddress address;
        try {
            address = requested.isUnresolved()
                    ? new InetSocketAddress(InetAddress.getByName(requested.getHostString()), requested.getPort())
                    : requested;
        } catch (UnknownHostException e) {
            throw new UncheckedIOException("listen " + requested.getHostString() + ":" + requested.getPort()
                    + ": unknown host", e);
        }
        List<ServerSocketChannel> channels = new ArrayList<>();
        try {
            InetSocketAddress bound;
            boolean shared = config.lifecycle().reusePort();
            if (shared) {
                // opted in: no plain bind, so a predecessor or successor shares the address
                bound = address;
            } else {
                // a plain bind first: an address another process holds fails here instead of being shared
                ServerSocketChannel first = ServerSocketChannel.open();
                channels.add(first);
                first.bind(address, BACKLOG);
                bound = (InetSocketAddress) first.getLocalAddress();
            }
            boolean reusePort = shared || loops.length > 1
                    && channels.get(0).supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
            if (reusePort) {
                // one listener per loop: the kernel spreads new connections across them
                for (ServerSocketChannel first : channels) {
                    first.close();
                }
                channels.clear();
                for (int i = 0; i < loops.length; i++) {
                    ServerSocketChannel channel = ServerSocketChannel.open();
                    channels.add(channel);
                    if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                        throw new IOException("SO_REUSEPORT is not supported here (reusePort needs it)");
                    }
                    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                    channel.bind(bound, BACKLOG);
                }
            }
            Frontend frontend = new Frontend(bound, loops.length, faults);
            frontends.add(frontend);
            for (int i = 0; i < channels.size(); i++) {
                ServerSocketChannel channel = channels.get(i);
                channel.configureBlocking(false);
                Acceptor acceptor = new Acceptor(relay, loops[i], frontend, channel);
                acceptors.add(acceptor);
                relay.admission().register(acceptor);
            }
        } catch (IOException e) {
            for (ServerSocketChannel channel : channels) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // failing already
                }
            }
            throw new UncheckedIOException("listen " + AddressText.format(address) + ": " + e.getMessage(), e);
        }
    }

    private void snapshot(List<Backend> backends) {
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
        control.execute(() -> {
            try {
                Pool.Change change = pool.apply(copy);
                for (BackendState added : change.added()) {
                    LOG.log(Level.DEBUG, () -> "backend " + added.backend().name() + " joined");
                    if (checker != null && added.address() != null) {
                        checker.add(added);
                    }
                    synchronized (mbeanLock) {
                        if (mbeans != null) {
                            mbeans.backendAdded(added.backend().name());
                        }
                    }
                }
                for (BackendState removed : change.removed()) {
                    LOG.log(Level.DEBUG, () -> "backend " + removed.backend().name() + " left");
                    synchronized (mbeanLock) {
                        if (mbeans != null) {
                            mbeans.backendRemoved(removed.backend().name());
                        }
                    }
                    if (config.removedGraceNs() >= 0) {
                        closeConnectionsTo(removed, config.removedGraceNs(), "backend removed");
                    }
                }
                for (BackendState down : change.adminDown()) {
                    if (config.closeOnAdminDown()) {
                        closeConnectionsTo(down, 0, "backend admin down");
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
        });
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
        if (!(config.registry() instanceof DrainDeadlines)) {
            return;
        }
        DrainDeadlines deadlines = (DrainDeadlines) config.registry();
        for (BackendState member : pool.members()) {
            Duration deadline = member.backend().adminState() == io.lb4j.Backend.AdminState.DRAIN
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
                PacedDrain drain = new PacedDrain(deadline, new java.util.concurrent.atomic.AtomicBoolean());
                pacedDrains.put(member, drain);
                LOG.log(Level.INFO, () -> "backend " + member.backend().name() + " draining: its connections close "
                        + "over " + Durations.format(deadline) + ", none left after it");
                long startNs = System.nanoTime();
                long windowNs = deadline.toNanos();
                Predicate<ConnectionPair> ofBackend = pair -> pair.backend() == member;
                connectionsAsync(ofBackend).thenCompose(handles -> pace(handles, startNs, windowNs,
                        startNs + windowNs, false, "backend drained", ofBackend, drain.cancelled, true));
            }
        }
    }

    /** A paced drain the registry asked for; control thread only. */
    private record PacedDrain(Duration deadline, java.util.concurrent.atomic.AtomicBoolean cancelled) {
    }

    /**
     * A snapshot the pool refused whole (two backends of one name, say; {@code Pool.apply} changes
     * nothing then). The first one fails {@link #start()}, so no ready line is ever printed with a
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

    /**
     * Closes the open connections to {@code backend} after {@code delayNs} (through
     * {@link #closePairs}); the delay runs on the first loop's timer wheel.
     */
    private void closeConnectionsTo(BackendState backend, long delayNs, String why) {
        if (delayNs == 0) {
            closePairs(backend, why);
            return;
        }
        EventLoop first = loops[0];
        first.execute(() -> first.timers().schedule(new Timer() {
            @Override
            protected void expired(long nowNs) {
                closePairs(backend, why);
            }
        }, first.nowNs() + delayNs));
    }

    private void awaitFirstSnapshot() {
        join(firstSnapshot, FIRST_SNAPSHOT_WAIT_MS, "first registry snapshot");
    }

    private void awaitFirstProbes() {
        List<CompletableFuture<Void>> firsts = new ArrayList<>();
        for (BackendState member : pool.members()) {
            firsts.add(member.firstProbe());
        }
        long waitMs = config.probeTimeoutNs() / 1_000_000 + 1_000;
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

    private void stateChanged(BackendState state, HealthState from, HealthState to, String reason) {
        if (from == to) {
            return;
        }
        // every change is logged once, here: the checker calls this once per transition
        LOG.log(to == HealthState.UP ? Level.INFO : Level.WARNING,
                () -> "backend " + state.backend().name() + " is " + to.name().toLowerCase() + " (" + reason + ")");
        control.execute(pool::rebuild);
        if (flight != null) {
            flight.backendStateChanged(state.backend(), from.name(), to.name(), reason);
        }
        if (to == HealthState.DOWN && config.health().closeOnUnhealthy()) {
            closePairs(state, "backend unhealthy");
        }
        try {
            config.listener().backendStateChanged(state.backend(), from, to, reason);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            faults.record("listener", t);
        }
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
        if (flight != null) {
            flight.connectionOpened(pair.client(), pair.backend().backend(), connectNs);
        }
        if (wantsOpened) {
            ConnectionEvent event = new ConnectionEvent(Instant.now(), pair.client(), pair.frontend(),
                    pair.backend().backend(), Duration.ofNanos(connectNs), pair.bytesToBackend(),
                    pair.bytesToClient(), null, pair.proxyTlvs());
            try {
                config.listener().connectionOpened(event);
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
                config.listener().connectionRejected(new ConnectionEvent(Instant.now(), client, frontend.address(),
                        null, java.time.Duration.ZERO, 0, 0, why));
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
        if (flight != null) {
            flight.connectionClosed(pair.client(), rejected ? null : pair.backend().backend(), durationNs,
                    pair.bytesToBackend(), pair.bytesToClient(), why);
        }
        if (rejected ? wantsRejected : wantsClosed) {
            ConnectionEvent event = new ConnectionEvent(Instant.now(), pair.client(), pair.frontend(),
                    rejected ? null : pair.backend().backend(), Duration.ofNanos(durationNs),
                    pair.bytesToBackend(), pair.bytesToClient(), why, pair.proxyTlvs());
            try {
                if (rejected) {
                    config.listener().connectionRejected(event);
                } else {
                    config.listener().connectionClosed(event);
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

    /**
     * Closes every relaying pair connected to {@code state}, each on its own loop (pairs are owned by
     * their loop; both keys of a pair carry it, and closing is idempotent). Any thread.
     */
    public void closePairs(BackendState state, String why) {
        for (EventLoop loop : loops) {
            loop.execute(() -> {
                for (SelectionKey key : loop.selector().keys().toArray(new SelectionKey[0])) {
                    if (key.attachment() instanceof ConnectionPair) {
                        ConnectionPair pair = (ConnectionPair) key.attachment();
                        if (pair.backend() == state && pair.relaying()) {
                            pair.close(false, why);
                        }
                    }
                }
            });
        }
    }

    /** See {@link io.lb4j.Balancer#addresses()}. */
    public synchronized List<InetSocketAddress> addresses() {
        if (phase == Phase.NEW || phase == Phase.STARTING) {
            throw new IllegalStateException("addresses: balancer not started (call start() first)");
        }
        List<InetSocketAddress> result = new ArrayList<>();
        for (Frontend f : frontends) {
            result.add(f.address());
        }
        return List.copyOf(result);
    }

    private void bindFrontHealth() {
        LongLivedSettings life = config.lifecycle();
        if (life.frontHealth() == null) {
            return;
        }
        EventLoop loop = loops[loops.length - 1];
        if (life.frontHealthTcp()) {
            frontTcp = FrontHealthTcp.bind(life.frontHealth(), loop, this::frontHealthy, faults, life.reusePort());
        } else {
            frontHttp = MetricsServer.bindFrontHealth(life.frontHealth(), loop, this::frontHealthy, faults,
                    life.reusePort());
        }
    }

    /**
     * Healthy for a balancer in front: running, not about to drain or draining, and at least the
     * minimum of usable backends (drain, down and admin-down ones do not count), and no event loop has
     * failed. Lock-free.
     */
    public boolean frontHealthy() {
        if (frontDown || draining || !loopsRunning || faults.loopFailures() > 0) {
            return false;
        }
        int usable = 0;
        for (BackendState member : pool.current().members()) {
            if (member.usable()) {
                usable++;
            }
        }
        return usable >= config.lifecycle().frontHealthMinBackends();
    }

    /** See {@link io.lb4j.Balancer#frontHealthAddress()}. */
    public synchronized InetSocketAddress frontHealthAddress() {
        if (phase == Phase.NEW || phase == Phase.STARTING) {
            throw new IllegalStateException("frontHealthAddress: balancer not started (call start() first)");
        }
        return frontHttp != null ? frontHttp.address() : frontTcp != null ? frontTcp.address() : null;
    }

    /** See {@link io.lb4j.Balancer#metricsAddress()}. */
    public synchronized InetSocketAddress metricsAddress() {
        if (phase == Phase.NEW || phase == Phase.STARTING) {
            throw new IllegalStateException("metricsAddress: balancer not started (call start() first)");
        }
        return metrics == null ? null : metrics.address();
    }

    /**
     * See {@link io.lb4j.Balancer#stats()}: waits up to {@link #STATS_WAIT_MS} for the loops, then
     * reads the shares of loops that have not answered directly (racy, but never blocks for long).
     */
    public BalancerStats stats() {
        StatsGather gather = gather();
        try {
            CompletableFuture.allOf(gather.done).get(STATS_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // a loop busy or stopping: read its share from here
        }
        return gather.build(true);
    }

    /**
     * The same snapshot without blocking: completes once every loop has contributed its share (for
     * callers on an event loop, such as the metrics endpoint).
     */
    public CompletableFuture<BalancerStats> statsAsync() {
        StatsGather gather = gather();
        return CompletableFuture.allOf(gather.done).thenApply(v -> gather.build(false));
    }

    private StatsGather gather() {
        List<Frontend> fronts;
        List<Acceptor> accepting;
        EventLoop[] running;
        synchronized (this) {
            fronts = List.copyOf(frontends);
            accepting = List.copyOf(acceptors);
            running = loops;
        }
        List<BackendState> members = pool != null ? pool.members() : List.of();
        int count = running == null ? 0 : running.length;
        boolean onLoop = false;
        for (int i = 0; i < count; i++) {
            onLoop |= running[i].inLoop();
        }
        StatsGather gather = new StatsGather(fronts, members, accepting, rebalanced::sum, faults, count);
        gather.queue = queue;
        for (int i = 0; i < count; i++) {
            EventLoop loop = running[i];
            int id = i;
            if (!loopsRunning || loop.terminated().isDone() || onLoop) {
                // not running: its writes are done (or never began); or called from a loop (a listener):
                // read directly rather than stall this loop waiting on itself or on another loop
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

    // ---- long-lived connections: handles, explain, paced drain ----

    private static final long CONNECTIONS_WAIT_MS = 5_000;

    /**
     * Handles of the pairs relaying now that {@code filter} accepts, each loop contributing its own
     * share from a task on its queue (so forwarding never stops for it).
     */
    public CompletableFuture<List<PairHandle>> connectionsAsync(Predicate<ConnectionPair> filter) {
        EventLoop[] running;
        synchronized (this) {
            running = loops;
        }
        if (running == null || !loopsRunning) {
            return CompletableFuture.completedFuture(List.of());
        }
        List<CompletableFuture<List<PairHandle>>> shares = new ArrayList<>();
        for (EventLoop loop : running) {
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
            // a loop that ended after the task was handed in either ran it while closing or is done
            // by now (EventLoop.closeAll); a whenComplete here would pile up on that future per call
            if (loop.terminated().isDone()) {
                share.complete(List.of());
            }
        }
        return CompletableFuture.allOf(shares.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<PairHandle> all = new ArrayList<>();
            for (CompletableFuture<List<PairHandle>> share : shares) {
                all.addAll(share.join());
            }
            all.sort(java.util.Comparator.comparingLong(PairHandle::openedNs));
            return all;
        });
    }

    /** See {@link io.lb4j.Balancer#connections()}; {@code backendName} null = every backend. */
    public List<io.lb4j.Connection> connections(String backendName) {
        requireRunning("connections");
        for (EventLoop loop : loops) {
            if (loop.inLoop()) {
                throw new IllegalStateException("connections: called on an event loop (a listener); "
                        + "call it from another thread");
            }
        }
        Predicate<ConnectionPair> filter = backendName == null ? pair -> true
                : pair -> pair.backend().backend().name().equals(backendName);
        try {
            return List.copyOf(connectionsAsync(filter).get(CONNECTIONS_WAIT_MS, TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("connections: interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("connections: event loops did not answer within "
                    + CONNECTIONS_WAIT_MS + " ms", e);
        }
    }

    private synchronized void requireRunning(String what) {
        if (phase != Phase.RUNNING) {
            throw new IllegalStateException(what + ": balancer is " + phase.name().toLowerCase()
                    + " (call it between start() and close())");
        }
    }

    /** The flow {@code explain} asks the policy about. */
    /** See {@link io.lb4j.Balancer#explain(InetSocketAddress)}. */
    public Explanation explain(InetSocketAddress client) {
        Objects.requireNonNull(client, "client");
        if (client.isUnresolved()) {
            throw new IllegalArgumentException("explain: " + client + " (expected: an IP address and port)");
        }
        requireRunning("explain");
        InetSocketAddress frontend;
        synchronized (this) {
            frontend = frontends.get(0).address();
        }
        return Explainer.explain(client, frontend, pool, config.connectAttempts(), faults);
    }

    /** See {@link io.lb4j.Balancer#drain(Backend, Duration, Duration, boolean)}. */
    public CompletableFuture<DrainReport> drain(Backend backend, long windowNs, long deadlineNs, boolean reset) {
        Objects.requireNonNull(backend, "backend");
        requireRunning("drain");
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
        return connectionsAsync(ofBackend)
                .thenCompose(handles -> pace(handles, startNs, windowNs, startNs + deadlineNs, reset, "drain", ofBackend,
                        null, false))
                .thenApply(counts -> new DrainReport(state.backend(), counts[0], counts[1], counts[2],
                        Duration.ofNanos(System.nanoTime() - startNs)));
    }

    /**
     * Closes {@code handles} (oldest first) spread over {@code windowNs} from {@code startNs}: the
     * i-th of n at a uniformly random moment of the i-th n-th of the window (jitter that keeps the
     * order and never bunches), each on its own loop. Completes with {closed, ended, closed at end}.
     */
    private CompletableFuture<int[]> pace(List<PairHandle> handles, long startNs, long windowNs, long deadlineNs,
                                          boolean reset, String why, Predicate<ConnectionPair> stragglers,
                                          java.util.concurrent.atomic.AtomicBoolean cancelled,
                                          boolean sweepAtDeadline) {
        int n = handles.size();
        java.util.SplittableRandom random = new java.util.SplittableRandom();
        EventLoop[] running = loops;
        List<List<PairHandle>> byLoop = new ArrayList<>();
        List<List<Long>> dueByLoop = new ArrayList<>();
        for (int i = 0; i < running.length; i++) {
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
        for (int l = 0; l < running.length; l++) {
            List<PairHandle> mine = byLoop.get(l);
            ConnectionPair[] pairs = new ConnectionPair[mine.size()];
            long[] due = new long[mine.size()];
            for (int i = 0; i < pairs.length; i++) {
                pairs[i] = mine.get(i).pair();
                due[i] = dueByLoop.get(l).get(i);
            }
            parts.add(new PacedClose(running[l], pairs, due, deadlineNs, reset, why, stragglers, cancelled,
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

    /** {@code stats} as Prometheus text, with a {@code balancer} label on every sample when this balancer has a name. */
    public String prometheus(BalancerStats stats) {
        String text = PrometheusText.render(stats)
                + PrometheusText.adminRequests(adminRequests.get(0), adminRequests.get(1), adminRequests.get(2),
                adminChanges.get());
        return name == null ? text : PrometheusText.withBalancer(text, name);
    }

    // ---- run-time operations (the CLI's admin API) ----

    /** Whether the listeners are shared with {@code SO_REUSEPORT} (so must the admin API's be). */
    public boolean reusePort() {
        return config.lifecycle().reusePort();
    }

    /** The loop that serves operations endpoints (metrics, admin). */
    public EventLoop operationsLoop() {
        requireRunning("operationsLoop");
        return loops[0];
    }

    /**
     * Serves {@code server} (bound on {@link #operationsLoop()}) until the balancer closes: registers it
     * now, stops it when the drain begins, closes it on close.
     *
     * @throws IllegalStateException when it cannot be registered
     */
    public void attach(HttpServer server) {
        requireRunning("attach");
        synchronized (this) {
            attached.add(server);
        }
        join(onLoop(server.loop(), () -> {
            try {
                server.register();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }), 5_000, "register " + server.address());
    }

    private synchronized List<HttpServer> attached() {
        return List.copyOf(attached);
    }

    /** Counts one admin API answer by its status class (for {@code lb4j_admin_requests_total}). */
    public void adminRequest(int status) {
        adminRequests.incrementAndGet(status < 400 ? 0 : status < 500 ? 1 : 2);
    }

    /** Counts one change made through the admin API (for {@code lb4j_admin_changes_total}). */
    public void adminChange() {
        adminChanges.incrementAndGet();
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
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("the balancer is closing", e));
        }
    }

    /** The admin API's name of a connection: its loop's sequence number, interleaved over the loops. */
    public String connectionId(PairHandle handle) {
        return Long.toString(handle.pair().sequence() * loops.length + handle.pair().loop().id());
    }

    /**
     * Closes the connection the admin API calls {@code id} on its loop, with the reason
     * {@code "closed by admin: REASON"}; completes with whether it was open (relaying) and is now closed.
     */
    public CompletableFuture<Boolean> closeConnection(long id, String reason) {
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
        if (loop.terminated().isDone()) { // see connectionsAsync: no callback left on the loop's future
            done.complete(false);
        }
        return done;
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
                Pacing p = config.lifecycle().pacing();
                rebalancer = new Rebalancer(loops[0], control, () -> pool.current().members(), this::connectionsAsync,
                        new Pacing(p.acceptRate(), p.acceptBurst(), p.backendConnectRate(), 1_000_000_000L, 0.2, 0.1,
                                p.queueTimeoutNs(), p.maxQueued()),
                        faults);
            }
            r = rebalancer;
        }
        return r.now();
    }

    /**
     * The valid selection keys of every loop, each loop counting its own (for tests and diagnostics: at
     * rest, only the listeners' keys remain). Blocks up to a second per loop; not from a loop.
     */
    public int registeredKeys() {
        int sum = 0;
        for (EventLoop loop : loops) {
            CompletableFuture<Integer> counted = onLoopValue(loop, () -> {
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

    private static <T> CompletableFuture<T> onLoopValue(EventLoop loop, java.util.function.Supplier<T> task) {
        CompletableFuture<T> done = new CompletableFuture<>();
        loop.execute(() -> done.complete(task.get()));
        return done;
    }

    /** Listening sockets of the relay (one per listen address and loop with {@code SO_REUSEPORT}). */
    public synchronized int listeners() {
        return acceptors.size();
    }

    /** Faults caught and survived since start, for tests and diagnostics. */
    public Faults faults() {
        return faults;
    }

    /** See {@link io.lb4j.Balancer#close()}. */
    public void close() {
        close(config.lifecycle().frontHealthGraceNs(), config.drainTimeoutNs());
    }

    /** See {@link io.lb4j.Balancer#close(java.time.Duration)}: grace and drain together within {@code timeoutNs}. */
    public void close(long timeoutNs) {
        long graceNs = Math.min(config.lifecycle().frontHealthGraceNs(), timeoutNs);
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
            joinQuietly(drained, graceMs); // still accepting; closeNow() cuts this short
        }
        draining = true;
        List<CompletableFuture<Void>> stopped = new ArrayList<>();
        for (Acceptor acceptor : acceptors) {
            stopped.add(onLoop(acceptor.loop(), acceptor::stop));
        }
        if (metrics != null) {
            stopped.add(onLoop(metrics.loop(), metrics::stop));
        }
        for (HttpServer server : attached()) {
            stopped.add(onLoop(server.loop(), server::stop));
        }
        joinQuietly(CompletableFuture.allOf(stopped.toArray(new CompletableFuture<?>[0])), 5_000);
        drainThenStop(config.lifecycle().drainPacingNs(), drainTimeoutNs);
    }

    /**
     * Once nothing accepts any more: lets the open pairs finish for up to {@code timeoutNs}, closing
     * them spread over {@code pacingNs} (oldest first) when that is above 0, then stops everything.
     */
    private void drainThenStop(long pacingNs, long timeoutNs) {
        draining = true;
        if (open.get() == 0) {
            drained.complete(null);
        }
        if (pacingNs > 0 && !drained.isDone()) {
            long startNs = System.nanoTime();
            long deadlineNs = startNs + timeoutNs;
            connectionsAsync(pair -> true).thenCompose(handles -> pace(handles, startNs, pacingNs, deadlineNs, false,
                    "balancer draining", pair -> true, null, false));
        }
        joinQuietly(drained, timeoutNs / 1_000_000);
        stopEverything();
    }

    /**
     * See {@link io.lb4j.Balancer#handOver()}: {@code pacedNs} below 0 drains as {@link #close()}
     * does, else closes the open pairs spread over it.
     */
    public void handOver(long pacedNs) {
        List<Frontend> handed;
        synchronized (this) {
            if (!config.lifecycle().reusePort()) {
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
            for (Frontend frontend : frontends) {
                int listening = ReusePort.listeners(frontend.address());
                if (listening >= 0 && listening <= loops.length) {
                    throw new IllegalStateException("handOver: no successor listens on " + AddressText.format(frontend.address())
                            + " (expected: a balancer with reusePort on the same address, started before the "
                            + "hand-over; this one goes on accepting)");
                }
            }
            handedOver = true;
            phase = Phase.CLOSED;
            handed = List.copyOf(frontends);
        }
        frontDown = true;
        // shared endpoints close now, so what probes or scrapes them reaches the successor
        if (frontHttp != null) {
            frontHttp.loop().execute(frontHttp::stop);
        }
        if (frontTcp != null) {
            frontTcp.loop().execute(frontTcp::stop);
        }
        if (metrics != null) {
            metrics.loop().execute(metrics::stop);
        }
        for (HttpServer server : attached()) {
            server.loop().execute(server::stop);
        }
        List<CompletableFuture<Integer>> closed = new ArrayList<>();
        for (Acceptor acceptor : acceptors) {
            CompletableFuture<Integer> taken = new CompletableFuture<>();
            acceptor.loop().execute(() -> taken.complete(acceptor.handOver()));
            acceptor.loop().terminated().whenComplete((v, e) -> taken.complete(0));
            closed.add(taken);
        }
        joinQuietly(CompletableFuture.allOf(closed.toArray(new CompletableFuture<?>[0])), 5_000);
        int taken = 0;
        for (CompletableFuture<Integer> c : closed) {
            taken += c.getNow(0);
        }
        long pacingNs = pacedNs >= 0 ? pacedNs : config.lifecycle().drainPacingNs();
        long timeoutNs = pacedNs >= 0 ? pacedNs : config.drainTimeoutNs();
        StringBuilder addresses = new StringBuilder();
        for (Frontend frontend : handed) {
            addresses.append(addresses.length() == 0 ? "" : " ").append(AddressText.format(frontend.address()));
        }
        int queued = taken;
        LOG.log(Level.INFO, () -> "handed over " + addresses + ": listeners closed, " + queued
                + " queued clients accepted first; draining " + open.get() + " connections within "
                + Durations.format(Duration.ofNanos(timeoutNs)));
        drainThenStop(pacingNs, timeoutNs);
    }

    /** See {@link io.lb4j.Balancer#closeNow()}. */
    public void closeNow() {
        drained.complete(null);
        close();
    }

    /**
     * Registers the MBeans of the balancer and its current backends; on the control thread once
     * running. The first registration in a JVM creates the platform MBean server (150-200 ms, seconds
     * on a loaded machine), so it holds no lock meanwhile: a close that comes first skips it, one that
     * comes during it is not kept waiting, and the registration takes itself back when it sees that.
     */
    private void registerMBeans() {
        synchronized (mbeanLock) {
            if (mbeansClosed) {
                return;
            }
        }
        MBeans beans = new MBeans(name != null ? name : AddressText.format(frontends.get(0).address()), this::stats, faults);
        beans.registerBalancer();
        synchronized (mbeanLock) {
            if (mbeansClosed) {
                beans.unregisterAll();
                return;
            }
            for (BackendState member : pool.members()) {
                beans.backendAdded(member.backend().name());
            }
            mbeans = beans;
        }
    }

    /** Unregisters what is registered, and anything registering later takes itself back. */
    private void unregisterMBeans() {
        synchronized (mbeanLock) {
            mbeansClosed = true;
            if (mbeans != null) {
                mbeans.unregisterAll();
                mbeans = null;
            }
        }
    }

    private void stopEverything() {
        draining = true;
        // never behind the control thread: it may be busy for seconds (the first MBean registration in
        // a JVM, a slow policy rebuild), and a signal right after start then kept the runner alive
        unregisterMBeans();
        if (metrics != null) {
            metrics.close();
        }
        for (HttpServer server : attached()) {
            server.close();
        }
        if (frontHttp != null) {
            frontHttp.close();
        }
        if (frontTcp != null && loops != null) {
            FrontHealthTcp server = frontTcp;
            server.loop().execute(server::stop);
        }
        if (loops != null) {
            for (EventLoop loop : loops) {
                if (loop != null) {
                    loop.shutdown();
                }
            }
            for (EventLoop loop : loops) {
                if (loop != null) {
                    joinQuietly(loop.terminated(), 5_000);
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
        if (blocking != null) {
            blocking.shutdownNow();
        }
    }

    /**
     * Runs {@code task} on {@code loop}; the future fails at once when the loop has ended (a loop that
     * failed runs no more tasks, and its channels are closed already), so start and close never wait
     * on a dead loop.
     */
    private static CompletableFuture<Void> onLoop(EventLoop loop, Runnable task) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                task.run();
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        if (loop.terminated().isDone()) { // see connectionsAsync: no callback left on the loop's future
            done.completeExceptionally(new IllegalStateException("event loop " + loop.id() + " has ended"));
        }
        return done;
    }

    private static void join(CompletableFuture<?> future, long timeoutMs, String what) {
        try {
            future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("start: interrupted during " + what, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IllegalStateException("start: " + what + " failed: " + cause, cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("start: " + what + " took longer than " + timeoutMs + " ms", e);
        }
    }

    private static void joinQuietly(CompletableFuture<?> future, long timeoutMs) {
        try {
            future.get(Math.max(0, timeoutMs), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // closing anyway
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
