package io.lb4j.internal.probe;

import io.lb4j.Backend;
import io.lb4j.HealthProbe;
import io.lb4j.ProxyProtocol;
import io.lb4j.HealthState;
import io.lb4j.ProbeResult;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Timer;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.ProbeFigures;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Drives one {@link HealthProbe} over every backend: each backend is probed on its own event loop
 * every interval (±10% jitter, measured start to start), with the timeout enforced here whatever the
 * probe does. The first result decides a backend's state at once; the thresholds govern every later
 * change.
 */
public final class HealthChecker {

    /** Told of every state change, on the backend's loop. */
    @FunctionalInterface
    public interface StateSink {
        /** {@code state} went from {@code from} to its current health for {@code reason}. */
        void changed(BackendState state, HealthState from, HealthState to, String reason);
    }

    private final HealthProbe probe;
    private final EventLoop[] loops;
    private final long intervalNs;
    private final long timeoutNs;
    private final int unhealthyThreshold;
    private final int healthyThreshold;
    private final int probePort;
    private final ExecutorService blocking;
    private final Faults faults;
    private final StateSink sink;
    private final int passiveFailureThreshold;
    private final ProxyProtocol sendProxy;
    /** Whether the probe is one of lb4j's own (its failures are protocol errors, not a user's verdict). */
    private final boolean builtIn;

    /**
     * @param probe the probe
     * @param loops where probes run (a backend always on the same loop)
     * @param intervalNs start-to-start interval
     * @param timeoutNs per probe
     * @param unhealthyThreshold consecutive failures to mark down
     * @param healthyThreshold consecutive successes to mark up
     * @param probePort port to probe instead of the backend's own, 0 for its own
     * @param blocking executor for blocking probes
     * @param faults where probe exceptions are counted
     * @param sink told of state changes
     */
    public HealthChecker(HealthProbe probe, EventLoop[] loops, long intervalNs, long timeoutNs,
                         int unhealthyThreshold, int healthyThreshold, int probePort, ExecutorService blocking,
                         Faults faults, StateSink sink) {
        this(probe, loops, intervalNs, timeoutNs, unhealthyThreshold, healthyThreshold, probePort, blocking,
                faults, sink, 0, null);
    }

    /**
     * As above, with passive health.
     *
     * @param passiveFailureThreshold consecutive failed connects of client connections that mark an
     *     up backend down before its probe notices; 0 = off
     * @param sendProxy the PROXY protocol the balancer sends its backends (probes send a LOCAL header
     *     first), or {@code null}
     */
    public HealthChecker(HealthProbe probe, EventLoop[] loops, long intervalNs, long timeoutNs,
                         int unhealthyThreshold, int healthyThreshold, int probePort, ExecutorService blocking,
                         Faults faults, StateSink sink, int passiveFailureThreshold, ProxyProtocol sendProxy) {
        this.passiveFailureThreshold = passiveFailureThreshold;
        this.sendProxy = sendProxy;
        this.builtIn = probe.getClass().getPackageName().equals(HealthChecker.class.getPackageName())
                && !(probe instanceof BlockingProbe);
        this.probe = probe;
        this.loops = loops;
        this.intervalNs = intervalNs;
        this.timeoutNs = timeoutNs;
        this.unhealthyThreshold = unhealthyThreshold;
        this.healthyThreshold = healthyThreshold;
        this.probePort = probePort;
        this.blocking = blocking;
        this.faults = faults;
        this.sink = sink;
    }

    /** Starts probing a backend that just joined: its first probe runs at once. Thread-safe. */
    public void add(BackendState state) {
        EventLoop loop = loops[state.loopId()];
        loop.execute(() -> new Prober(state, loop).expired(loop.nowNs()));
    }

    /**
     * Probes a backend at once, outside its schedule: for one whose admin state just left
     * {@code DOWN}, whose health is stale. Until that probe answers it counts as unknown (no new
     * connections). Thread-safe.
     */
    public void probeNow(BackendState state) {
        EventLoop loop = loops[state.loopId()];
        loop.execute(() -> {
            InetSocketAddress address = state.address();
            if (state.removed() || address == null || state.backend().adminState() == Backend.AdminState.DOWN) {
                return;
            }
            HealthState before = state.health(HealthState.UNKNOWN, "admin state changed, probing");
            state.streak.reset();
            if (before != HealthState.UNKNOWN) {
                sink.changed(state, before, HealthState.UNKNOWN, "admin state changed, probing");
            }
            new Run(state, loop, probePort != 0 ? new InetSocketAddress(address.getAddress(), probePort) : address)
                    .start(loop.nowNs());
        });
    }

    private final class Prober extends Timer {
        private final BackendState state;
        private final EventLoop loop;

        Prober(BackendState state, EventLoop loop) {
            this.state = state;
            this.loop = loop;
        }

        @Override
        protected void expired(long nowNs) {
            if (state.removed()) {
                return; // removed from the registry: stop probing
            }
            long jitter = intervalNs / 10;
            long next = intervalNs + (jitter > 0 ? ThreadLocalRandom.current().nextLong(-jitter, jitter + 1) : 0);
            loop.timers().schedule(this, nowNs + next);
            if (state.backend().adminState() == Backend.AdminState.DOWN) {
                state.firstProbe().complete(null); // admin-down backends are not probed
                return;
            }
            InetSocketAddress address = state.address();
            if (address == null) {
                finishFirst();
                return;
            }
            if (probePort != 0) {
                address = new InetSocketAddress(address.getAddress(), probePort);
            }
            new Run(state, loop, address).start(nowNs);
        }

        private void finishFirst() {
            state.firstProbe().complete(null);
        }
    }

    private final class Run extends Timer implements LoopTarget {
        private final BackendState state;
        private final EventLoop loop;
        private final InetSocketAddress address;
        private long startNs;
        private boolean done;
        private CompletionStage<ProbeResult> stage;

        Run(BackendState state, EventLoop loop, InetSocketAddress address) {
            this.state = state;
            this.loop = loop;
            this.address = address;
        }

        void start(long nowNs) {
            if (!loop.selector().isOpen()) {
                // a probe task run while the loop closes (a start that failed, a close): no probe, no verdict
                done = true;
                state.firstProbe().complete(null);
                return;
            }
            startNs = nowNs;
            loop.timers().schedule(this, nowNs + timeoutNs);
            try {
                stage = probe.check(this);
                if (stage == null) {
                    throw new IllegalStateException("probe returned null");
                }
                stage.whenComplete((result, failure) -> {
                    ProbeResult outcome = failure != null ? ProbeResult.failed("probe failed: "
                            + Reasons.of(failure instanceof CompletionException
                            && failure.getCause() != null ? failure.getCause() : failure))
                            : result == null ? ProbeResult.failed("probe returned no result") : result;
                    if (loop.inLoop()) {
                        finish(outcome, System.nanoTime());
                    } else {
                        loop.execute(() -> finish(outcome, System.nanoTime()));
                    }
                });
            } catch (RuntimeException e) {
                faults.record("health probe", e);
                finish(ProbeResult.failed("probe threw " + e.getClass().getSimpleName()), nowNs);
            }
        }

        @Override
        protected void expired(long nowNs) {
            finish(ProbeResult.failed(ProbeFuture.timeoutReason(stage)), nowNs);
            if (stage instanceof CompletableFuture) {
                ((CompletableFuture<ProbeResult>) stage).cancel(false);
            }
        }

        private void finish(ProbeResult result, long nowNs) {
            if (done) {
                return;
            }
            done = true;
            loop.timers().cancel(this);
            if (state.removed()) {
                return;
            }
            if (!loop.selector().isOpen()) {
                // a result the closing loop hands back is no news about the backend: nothing to log
                state.firstProbe().complete(null);
                return;
            }
            state.lastProbeLatencyNs(nowNs - startNs);
            state.probes.record(nowNs - startNs, failureReason(result, builtIn));
            apply(state, result);
            state.firstProbe().complete(null);
        }

        @Override
        public Backend backend() {
            return state.backend();
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public Duration timeout() {
            return Duration.ofNanos(timeoutNs);
        }

        @Override
        public EventLoop loop() {
            return loop;
        }

        @Override
        public Executor blockingExecutor() {
            return blocking;
        }

        @Override
        public ProxyProtocol proxyProtocol() {
            return sendProxy;
        }
    }

    /**
     * The index in {@link io.lb4j.BalancerStats.ProbeStats#FAILURE_REASONS} of a failed result's
     * reason, or {@link ProbeFigures#PASSED}: a handful of classes, never the free text, so that the
     * series stay few whatever a probe says. The reasons tested are the checker's and the built-in
     * probes' own ({@link Reasons}).
     */
    static int failureReason(ProbeResult result, boolean builtIn) {
        if (result.healthy()) {
            return ProbeFigures.PASSED;
        }
        String reason = result.reason();
        if (reason.equals("timeout") || reason.endsWith(": timeout") || reason.equals("tls: handshake timed out")) {
            return 0;
        }
        if (reason.contains("connect refused") || reason.contains("no route to host")
                || reason.startsWith("cannot open socket")) {
            return 1;
        }
        if (reason.startsWith("status ")) {
            return 2;
        }
        if (reason.startsWith("probe threw ") || reason.startsWith("probe failed") || reason.startsWith("probe returned ")
                || reason.equals("probe executor full") || reason.equals("not started in time")) {
            return 5;
        }
        return builtIn ? 3 : 4;
    }

    private void apply(BackendState state, ProbeResult result) {
        HealthState health = state.health();
        String reason = "probe: " + result.reason();
        HealthState next = state.streak.record(health, result.healthy(), unhealthyThreshold, healthyThreshold);
        if (next != health) {
            if (next == HealthState.UP) {
                state.passiveFailures.set(0);
            }
            sink.changed(state, state.health(next, reason), next, reason);
            return;
        }
        state.reason(health == HealthState.UP && !result.healthy()
                ? reason + " (" + state.streak.failures() + " of " + unhealthyThreshold + ")"
                : health == HealthState.DOWN && result.healthy()
                ? reason + " (" + state.streak.successes() + " of " + healthyThreshold + ")" : reason);
    }

    /**
     * Passive health: a client connection's connect to {@code state} failed ({@code why}); any
     * thread. The {@code passiveFailureThreshold}-th failure in a row (no connect succeeded in
     * between, see {@link #connected}) marks an up backend down at once, on the backend's own loop,
     * which owns its streaks; the active probe brings it back.
     */
    public void connectFailed(BackendState state, String why) {
        if (passiveFailureThreshold > 0 && state.passiveFailures.incrementAndGet() == passiveFailureThreshold) {
            loops[state.loopId()].execute(() -> passiveDown(state, why));
        }
    }

    /** A client connection reached {@code state}: its passive failure streak ends. Any thread. */
    public static void connected(BackendState state) {
        if (state.passiveFailures.get() != 0) {
            state.passiveFailures.set(0);
        }
    }

    private void passiveDown(BackendState state, String why) {
        state.passiveFailures.set(0);
        if (state.removed() || state.health() != HealthState.UP) {
            return;
        }
        state.streak.reset();
        String reason = "passive: " + passiveFailureThreshold + " connect failures in a row (last: " + why + ")";
        sink.changed(state, state.health(HealthState.DOWN, reason), HealthState.DOWN, reason);
    }
}
