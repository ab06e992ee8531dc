package io.lb4j.internal;

import io.lb4j.BackendRegistry;
import io.lb4j.BalancerListener;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthProbe;
import io.lb4j.HealthState;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The balancer's settings after {@code build()}: immutable, durations in nanoseconds, grouped by what
 * they govern so that each group travels to the part that applies it. Also holds argument checks
 * shared by the builder and the CLI, so both word their errors alike (those of durations are in
 * {@link Durations}).
 *
 * @param listen the frontend addresses, in the order given
 * @param registry where the backends come from
 * @param policy how a backend is picked for each connection
 * @param probing the active health checks
 * @param health what a backend's state means, and what its changes do to its open connections
 * @param relaying how connections are relayed and how long they may take
 * @param edge who may connect, and the PROXY protocol
 * @param operations what operators and the host see
 * @param longLived drain pacing, front-door health, keepalive, accept pacing and rebalancing, hand-over
 */
public record Config(List<InetSocketAddress> listen, BackendRegistry registry, BalancingPolicy policy,
                     Probing probing, Health health, Relaying relaying, Edge edge, Operations operations,
                     LongLivedSettings longLived) {

    /**
     * The active health checks.
     *
     * @param probe the probe, or {@code null} for none (every backend counts as healthy)
     * @param intervalNs from one check's start to the next's, per backend
     * @param timeoutNs a check that has not answered by then failed
     * @param unhealthyThreshold failed checks in a row that mark a backend down
     * @param healthyThreshold passed checks in a row that mark a backend up
     * @param port the port probed instead of the backend's own; 0 = the backend's
     */
    public record Probing(HealthProbe probe, long intervalNs, long timeoutNs, int unhealthyThreshold,
                          int healthyThreshold, int port) {
    }

    /**
     * Health handling beyond the probe cadence, and what a backend's state changes do to its open
     * connections.
     *
     * @param initial health of a probed backend before its first probe: UNKNOWN, UP or DOWN
     * @param passiveFailureThreshold consecutive failed connects that mark a backend down; 0 = off
     * @param panicMode when no backend is healthy, send to every admin-up backend anyway
     * @param closeOnUnhealthy close open connections of a backend that turns unhealthy
     * @param closeOnAdminDown close open connections of a backend set to admin state DOWN
     * @param removedGraceNs close a removed backend's open connections after this; below 0 = never
     */
    public record Health(HealthState initial, int passiveFailureThreshold, boolean panicMode,
                         boolean closeOnUnhealthy, boolean closeOnAdminDown, long removedGraceNs) {
        /** The defaults: first probe decides, passive threshold 5, no panic, keep connections but on admin down. */
        public static final Health DEFAULTS = new Health(HealthState.UNKNOWN, 5, false, false, true, -1);
    }

    /**
     * How connections are relayed, and how long they may take.
     *
     * @param eventLoops event-loop threads
     * @param idleTimeoutNs a connection with no byte either way for this long is closed; 0 = never
     * @param resetOnIdle close an idle connection with RST instead of FIN
     * @param connectTimeoutNs one connect attempt to a backend
     * @param connectAttempts backends tried for one client before it is given up
     * @param drainTimeoutNs on close, how long open connections may go on before they are closed
     */
    public record Relaying(int eventLoops, long idleTimeoutNs, boolean resetOnIdle, long connectTimeoutNs,
                           int connectAttempts, long drainTimeoutNs) {
    }

    /**
     * What operators and the host see.
     *
     * @param metricsAddress where {@code /metrics}, {@code /stats} and {@code /explain} are served;
     *     {@code null} = off
     * @param jmx whether MBeans are registered
     * @param listener the host's connection and health events
     */
    public record Operations(InetSocketAddress metricsAddress, boolean jmx, BalancerListener listener) {
    }

    /** Rejects values below {@code min}. */
    public static int atLeast(String setting, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(setting + ": " + value + " (expected: >= " + min + ")");
        }
        return value;
    }
}
