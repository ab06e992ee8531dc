package io.lb4j;

import java.util.List;

/**
 * An immutable snapshot of the balancer's counters, taken by {@link Balancer#stats()}.
 * Counters only grow, from 0 at start; "active" figures are gauges.
 *
 * @param activeConnections client connections open now
 * @param totalConnections client connections accepted since start
 * @param rejectedConnections client connections closed at accept (no usable backend, limits)
 * @param backends one entry per configured backend, in the registry's order
 */
public record BalancerStats(long activeConnections, long totalConnections, long rejectedConnections,
                            List<BackendStats> backends) {

    /**
     * Copies the list.
     *
     * @param activeConnections client connections open now
     * @param totalConnections client connections accepted since start
     * @param rejectedConnections client connections closed at accept
     * @param backends one entry per configured backend, copied
     */
    public BalancerStats {
        backends = List.copyOf(backends);
    }

    /**
     * The counters of one backend.
     *
     * @param backend the backend as configured now
     * @param state its health
     * @param reason why it is in that state (last probe outcome)
     * @param activeConnections connections open to it now (including ones still connecting)
     * @param totalConnections connections established to it since it joined
     * @param connectFailures failed connect attempts (refused, timed out, unreachable)
     * @param bytesToBackend bytes relayed from clients to it
     * @param bytesToClient bytes relayed from it to clients
     * @param lastProbeLatencyNanos duration of its last completed probe, or -1 when none yet
     */
    public record BackendStats(Backend backend, HealthState state, String reason, long activeConnections,
                               long totalConnections, long connectFailures, long bytesToBackend,
                               long bytesToClient, long lastProbeLatencyNanos) {
    }
}
