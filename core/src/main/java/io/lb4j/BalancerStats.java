package io.lb4j;

import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
 * @param rejectedConnections client connections refused: by the allow and deny ranges, the
 *     per-client limit, or a missing or bad PROXY header (closed without being relayed for want of a
 *     backend: {@code unserved})
 * @param listeners one entry per frontend address, in the order given to the builder
 * @param backends one entry per configured backend, in the registry's order
 * @param acceptPauses how often accepting paused, by reason
 * @param rebalancedConnections connections the rebalancer closed so that their clients reconnect to a
 *     lighter backend ({@link Balancer.Builder#rebalance})
 * @param unserved client connections closed without being relayed because no backend could take
 *     them, by reason (apart from the rejected ones)
 * @param faults faults the balancer caught and survived since start (a handler, timer, probe,
 *     registry, policy or listener that threw; an {@code accept} that failed): 0 in a healthy run.
 *     Each fault cost at most the one connection it hit; the first of each kind is logged with its
 *     stack trace on the logger {@code io.lb4j.faults}
 * @param eventLoopFailures event loops that ended while the balancer ran (their connections were
 *     closed; the front-door health endpoint then answers unhealthy): 0 unless the JVM ran out of
 *     memory or stack, or a selector broke
 * @param queue clients waiting for a slot at a full backend, and those served after waiting
 *     ({@link Balancer.Builder#queueTimeout})
 */
public record BalancerStats(long activeConnections, long totalConnections, long rejectedConnections,
                            List<ListenerStats> listeners, List<BackendStats> backends, AcceptPauses acceptPauses,
                            long rebalancedConnections, Unserved unserved, long faults, long eventLoopFailures,
                            Queue queue) {

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
     * @param unserved clients closed for want of a backend, by reason; not null
     * @param faults faults caught and survived
     * @param eventLoopFailures event loops that ended while running
     * @param queue the wait queue's figures; not null
     */
    public BalancerStats {
        listeners = List.copyOf(listeners);
        backends = List.copyOf(backends);
        Objects.requireNonNull(acceptPauses, "acceptPauses");
        Objects.requireNonNull(unserved, "unserved");
        Objects.requireNonNull(queue, "queue");
    }

    /**
     * A snapshot with no unserved connection, fault, loop failure or waiting client (the form of 0.1.0).
     *
     * @param activeConnections client connections open now
     * @param totalConnections client connections accepted since start
     * @param rejectedConnections client connections refused
     * @param listeners one entry per frontend address, copied
     * @param backends one entry per configured backend, copied
     * @param acceptPauses how often accepting paused, by reason; not null
     * @param rebalancedConnections connections the rebalancer closed
     */
    public BalancerStats(long activeConnections, long totalConnections, long rejectedConnections,
                         List<ListenerStats> listeners, List<BackendStats> backends, AcceptPauses acceptPauses,
                         long rebalancedConnections) {
        this(activeConnections, totalConnections, rejectedConnections, listeners, backends, acceptPauses,
                rebalancedConnections, new Unserved(0, 0, 0, 0), 0, 0, new Queue(0, 0, 0));
    }

    /**
     * The clients that waited for a connection slot because every backend their policy chose was at
     * its connection limit ({@link Balancer.Builder#queueTimeout}; Prometheus
     * {@code lb4j_queued_connections} and {@code lb4j_queue_wait_seconds}). Those that waited in vain
     * are counted among the unserved connections ({@link Unserved#queueTimeout()}).
     *
     * @param waiting clients waiting now
     * @param served clients that got a slot after waiting, since start
     * @param waitedNanos the time those served clients waited, in total (mean: divide by {@code served})
     */
    public record Queue(long waiting, long served, long waitedNanos) {
    }

    /**
     * Client connections closed without being relayed because no backend could take them (Prometheus
     * {@code lb4j_unserved_connections_total{reason=...}}).
     *
     * @param noBackend no backend was usable (all down, draining or admin-down, or none configured)
     * @param backendFull every usable backend was at its connection limit (or its connect rate), so
     *     no connect was tried; also a client turned away because the wait queue was full
     * @param connectFailed every connect attempt failed (refused, timed out, unreachable), or no
     *     socket could be opened for the backend within the connect timeout
     * @param queueTimeout a client that waited for a slot at a full backend and got none in time
     */
    public record Unserved(long noBackend, long backendFull, long connectFailed, long queueTimeout) {
        /**
         * All reasons together.
         *
         * @return the sum of the four counts
         */
        public long total() {
            return noBackend + backendFull + connectFailed + queueTimeout;
        }
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
     * @param probes its health-probe figures since it joined
     */
    public record BackendStats(Backend backend, HealthState state, String reason, long activeConnections,
                               long totalConnections, long connectFailures, long bytesToBackend,
                               long bytesToClient, long lastProbeLatencyNanos, ProbeStats probes) {

        /**
         * Checks the figures.
         *
         * @param backend the backend as configured now
         * @param state its health
         * @param reason why it is in that state
         * @param activeConnections connections open to it now
         * @param totalConnections connections established to it since it joined
         * @param connectFailures failed connect attempts
         * @param bytesToBackend bytes relayed from clients to it
         * @param bytesToClient bytes relayed from it to clients
         * @param lastProbeLatencyNanos duration of its last completed probe, or -1 when none yet
         * @param probes its health-probe figures since it joined; not null
         * @throws NullPointerException when {@code probes} is {@code null}
         */
        public BackendStats {
            Objects.requireNonNull(probes, "probes");
        }

        /**
         * Whether it takes new connections: healthy and admin state up (Prometheus {@code lb4j_backend_up}).
         *
         * @return {@code true} when {@link #state()} is UP and the admin state is UP
         */
        public boolean up() {
            return state == HealthState.UP && backend.adminState() == Backend.AdminState.UP;
        }
    }

    /**
     * The health-probe figures of one backend since it joined (Prometheus
     * {@code lb4j_backend_probe_duration_seconds} and {@code lb4j_backend_probe_failures_total}).
     *
     * @param checks probes finished: passed, failed or timed out
     * @param totalNanos their durations summed, start to outcome (a timed-out probe counts its timeout)
     * @param failures failed probes by reason, every reason present (at 0 when none) in this order:
     *     {@code timeout} (no outcome within the probe timeout), {@code connect} (refused, unreachable,
     *     no socket), {@code status} (an HTTP or WebSocket answer with the wrong status),
     *     {@code protocol} (a built-in probe's malformed, truncated or wrong answer), {@code unhealthy}
     *     (a custom probe's own verdict), {@code error} (a probe that threw, failed its stage or gave
     *     no result)
     */
    public record ProbeStats(long checks, long totalNanos, Map<String, Long> failures) {
        /** The reasons of {@link #failures()}, in order. */
        public static final List<String> FAILURE_REASONS =
                List.of("timeout", "connect", "status", "protocol", "unhealthy", "error");

        /**
         * Copies the failures, keeping their order.
         *
         * @param checks probes finished
         * @param totalNanos their durations summed
         * @param failures failed probes by reason, copied; not null
         * @throws NullPointerException when {@code failures} is {@code null}
         */
        public ProbeStats {
            failures = Collections.unmodifiableMap(new LinkedHashMap<>(failures));
        }
    }
}
