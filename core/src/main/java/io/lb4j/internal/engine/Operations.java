package io.lb4j.internal.engine;

import io.lb4j.BalancerStats;
import io.lb4j.internal.Faults;
import io.lb4j.internal.LongLivedSettings;
import io.lb4j.internal.OptionalModules;
import io.lb4j.internal.export.FrontHealthHttp;
import io.lb4j.internal.export.FrontHealthTcp;
import io.lb4j.internal.export.HttpServer;
import io.lb4j.internal.export.MBeans;
import io.lb4j.internal.export.PrometheusText;
import io.lb4j.internal.export.StatusService;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.pool.BackendState;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What operators and the balancer in front see: the status endpoint (metrics, stats, explain), the
 * front-door health endpoint (HTTP or TCP), the servers the CLI attaches (the admin API) with their
 * counters, and the MBeans.
 * Each endpoint is served by one of the engine's loops, so operations cost no thread of their own.
 */
final class Operations {
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    private final String name;
    private final Faults faults;
    private HttpServer status;
    // front-door health: one of the two, or neither
    private HttpServer frontHttp;
    private FrontHealthTcp frontTcp;
    /** Servers the CLI attached after start (the admin API); guarded by this. */
    private final List<HttpServer> attached = new ArrayList<>();
    /** Admin API answers by class: 2xx, 4xx, 5xx. */
    private final AtomicLongArray adminRequests = new AtomicLongArray(3);
    /** Changes made through the admin API. */
    private final AtomicLong adminChanges = new AtomicLong();
    /** Set on the control thread (or in start() when the MBean server exists); cleared on close. */
    private MBeans mbeans;
    /** Orders MBean changes against close, which never waits for the control thread. */
    private final Object mbeanLock = new Object();
    /** Set by close: no MBean registers from then on; guarded by {@link #mbeanLock}. */
    private boolean mbeansClosed;

    /**
     * @param name the balancer's name for a {@code balancer} label on metrics, or {@code null} for none
     */
    Operations(String name, Faults faults) {
        this.name = name;
        this.faults = faults;
    }

    /**
     * Binds the status endpoint on {@code loop} (a plain bind unless {@code reusePort}); call
     * {@link #register()} once the loops run.
     */
    void bindStatus(InetSocketAddress address, EventLoop loop, Supplier<CompletableFuture<BalancerStats>> stats,
                    Function<String, String> explain, boolean reusePort) {
        status = StatusService.bind(address, loop, stats, this::prometheus, explain, faults, reusePort);
    }

    /** Binds the front-door health endpoint {@code settings} ask for, if any, on {@code loop}. */
    void bindFrontHealth(LongLivedSettings settings, EventLoop loop, BooleanSupplier healthy) {
        if (settings.frontHealth() == null) {
            return;
        }
        if (settings.frontHealthTcp()) {
            frontTcp = FrontHealthTcp.bind(settings.frontHealth(), loop, healthy, faults, settings.reusePort());
        } else {
            frontHttp = FrontHealthHttp.bind(settings.frontHealth(), loop, healthy, faults, settings.reusePort());
        }
    }

    /** Starts serving the bound endpoints, each on its loop; the futures complete once they accept. */
    List<CompletableFuture<Void>> register() {
        List<CompletableFuture<Void>> registered = new ArrayList<>();
        if (status != null) {
            registered.add(LoopTasks.register(status.loop(), status::register));
        }
        if (frontHttp != null) {
            registered.add(LoopTasks.register(frontHttp.loop(), frontHttp::register));
        }
        if (frontTcp != null) {
            registered.add(LoopTasks.register(frontTcp.loop(), frontTcp::register));
        }
        return registered;
    }

    /** Serves {@code server} from now on; it stops and closes with the others. */
    void attach(HttpServer server) {
        synchronized (this) {
            attached.add(server);
        }
        LoopTasks.join(LoopTasks.register(server.loop(), server::register), 5_000, "register " + server.address());
    }

    private synchronized List<HttpServer> attached() {
        return List.copyOf(attached);
    }

    /**
     * A drain begins: the status endpoint and the attached servers stop accepting (exchanges in flight
     * finish); front-door health goes on answering, unhealthy, until {@link #close()}.
     */
    void stopAccepting(List<CompletableFuture<Void>> stopped) {
        if (status != null) {
            stopped.add(LoopTasks.onLoop(status.loop(), status::stop));
        }
        for (HttpServer server : attached()) {
            stopped.add(LoopTasks.onLoop(server.loop(), server::stop));
        }
    }

    /** A hand-over: every endpoint stops now, so what probes or scrapes them reaches the successor. */
    void handOver() {
        if (frontHttp != null) {
            frontHttp.loop().execute(frontHttp::stop);
        }
        if (frontTcp != null) {
            frontTcp.loop().execute(frontTcp::stop);
        }
        if (status != null) {
            status.loop().execute(status::stop);
        }
        for (HttpServer server : attached()) {
            server.loop().execute(server::stop);
        }
    }

    /** Unregisters the MBeans and closes every endpoint; never waits for the control thread. */
    void close() {
        unregisterMBeans();
        if (status != null) {
            status.close();
        }
        for (HttpServer server : attached()) {
            server.close();
        }
        if (frontHttp != null) {
            frontHttp.close();
        }
        if (frontTcp != null) {
            FrontHealthTcp server = frontTcp;
            server.loop().execute(server::stop);
        }
    }

    /** The bound status (metrics) address, or {@code null}. */
    InetSocketAddress metricsAddress() {
        return status == null ? null : status.address();
    }

    /** The bound front-door health address, or {@code null}. */
    InetSocketAddress frontHealthAddress() {
        return frontHttp != null ? frontHttp.address() : frontTcp != null ? frontTcp.address() : null;
    }

    /** {@code stats} as Prometheus text, with a {@code balancer} label on every sample when this balancer has a name. */
    String prometheus(BalancerStats stats) {
        String text = PrometheusText.render(stats)
                + PrometheusText.adminRequests(adminRequests.get(0), adminRequests.get(1), adminRequests.get(2),
                adminChanges.get());
        return name == null ? text : PrometheusText.withBalancer(text, name);
    }

    /** Counts one admin API answer by its status class (for {@code lb4j_admin_requests_total}). */
    void adminRequest(int status) {
        adminRequests.incrementAndGet(status < 400 ? 0 : status < 500 ? 1 : 2);
    }

    /** Counts one change made through the admin API (for {@code lb4j_admin_changes_total}). */
    void adminChange() {
        adminChanges.incrementAndGet();
    }

    /**
     * Registers the MBeans of the balancer (named {@code label}) and of its backends, when the runtime
     * has {@code java.management}: at once when the platform MBean server exists, else on
     * {@code control}, ordered before any later membership change. Creating that server (the first
     * registration in a JVM) costs 150-200 ms, seconds on a loaded machine, so no lock is held meanwhile:
     * a close that comes first skips it, one that comes during it is not kept waiting, and the
     * registration takes itself back when it sees that.
     */
    void registerMBeans(String label, Supplier<BalancerStats> stats, Supplier<List<BackendState>> members,
                        Executor control) {
        if (!OptionalModules.readable("java.management")) {
            LOG.log(Level.DEBUG, "JMX off: the module java.management is not in this runtime");
        } else if (MBeans.platformServerExists()) {
            registerMBeans(label, stats, members);
        } else {
            control.execute(() -> registerMBeans(label, stats, members));
        }
    }

    private void registerMBeans(String label, Supplier<BalancerStats> stats, Supplier<List<BackendState>> members) {
        synchronized (mbeanLock) {
            if (mbeansClosed) {
                return;
            }
        }
        MBeans beans = new MBeans(label, stats, faults);
        beans.registerBalancer();
        synchronized (mbeanLock) {
            if (mbeansClosed) {
                beans.unregisterAll();
                return;
            }
            for (BackendState member : members.get()) {
                beans.backendAdded(member.backend().name());
            }
            mbeans = beans;
        }
    }

    /** A backend joined: its MBean, when MBeans are registered. */
    void backendAdded(String backend) {
        synchronized (mbeanLock) {
            if (mbeans != null) {
                mbeans.backendAdded(backend);
            }
        }
    }

    /** A backend left: its MBean goes. */
    void backendRemoved(String backend) {
        synchronized (mbeanLock) {
            if (mbeans != null) {
                mbeans.backendRemoved(backend);
            }
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
}
