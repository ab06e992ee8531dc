package io.lb4j;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * An immutable snapshot of the balancer's counters, taken by {@link Balancer#stats()}.
 * Counters only grow, from 0 at start; "active" figures are gauges.
 *
 * <p>Exactness: each event loop's share of the counters is read on that loop, so a snapshot
 * includes every byte and connection the loops had handled when it was taken; nothing is sampled or
 * estimated. A figure may only lag by what the loops did while the snapshot was being assembled.
 *
 * @param activeConnections client connections open now
 * @param totalConnections client connections accepted since start
 * @param rejectedConnections client connections closed before relaying (no usable backend, limits)
 * @param listeners one entry per frontend address, in the order given to the builder
 * @param backends one entry per configured backend, in the registry's order
 * @param acceptPauses how often accepting paused, by reason
 * @param rebalancedConnections connections the rebalancer closed so that their clients reconnect to a
 *     lighter backend ({@link Balancer.Builder#rebalance})
 */
public record BalancerStats(long activeConnections, long totalConnections, long rejectedConnections,
                            List<ListenerStats> listeners, List<BackendStats> backends, AcceptPauses acceptPauses,
                            long rebalancedConnections) {

    /**
     * Copies the lists.
     *
     * @param activeConnections client connections open now
     * @param totalConnections client connections accepted since start
     * @param rejectedConnections client connections closed before relaying
     * @param listeners one entry per frontend address, copied
     * @param backends one entry per configured backend, copied
     * @param acceptPauses how often accepting paused, by reason; not null
     * @param rebalancedConnections connections the rebalancer closed
     */
    public BalancerStats {
        listeners = List.copyOf(listeners);
        backends = List.copyOf(backends);
        java.util.Objects.requireNonNull(acceptPauses, "acceptPauses");
    }

    /**
     * Times accepting stopped, summed over listeners and event loops. While paused, clients wait in the
     * kernel's listen backlog; none is reset for it.
     *
     * @param limit for the global connection limit ({@link Balancer.Builder#maxConnections})
     * @param rate because the accept rate's bucket was empty ({@link Balancer.Builder#acceptRate})
     * @param resources because accepting failed or a backend socket could not be opened, typically
     *     out of file descriptors (100 ms, doubling to 1 s while it lasts)
     */
    public record AcceptPauses(long limit, long rate, long resources) {
    }

    /**
     * The counters of one frontend address.
     *
     * @param address the bound address (the real port when port 0 was asked for)
     * @param activeConnections its client connections open now
     * @param totalConnections client connections it accepted since start
     * @param rejectedConnections of those, the ones closed before relaying
     */
    public record ListenerStats(InetSocketAddress address, long activeConnections, long totalConnections,
                                long rejectedConnections) {
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

        /**
         * Whether it takes new connections: healthy and admin state up (Prometheus {@code lb4j_backend_up}).
         *
         * @return {@code true} when {@link #state()} is UP and the admin state is UP
         */
        public boolean up() {
            return state == HealthState.UP && backend.adminState() == Backend.AdminState.UP;
        }
    }
}
