package io.lb4j;

import io.lb4j.internal.policy.FlowHash;
import io.lb4j.internal.policy.RoundRobin;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Chooses the backend for each new client connection, in two phases.
 *
 * <ol>
 *   <li>{@link #rebuild}: whenever membership, weight, health or admin state changes, the balancer
 *       hands the policy the current {@link Candidate}s and the previous {@link Selection}; the policy
 *       returns a new immutable {@code Selection}. Called on one thread at a time, never on an event
 *       loop; it may take time (a Maglev table is built here).</li>
 *   <li>{@link Selection#pick}: for each new connection, on an event-loop thread, concurrently from
 *       several loops. It writes the candidates to try into {@code order}, best first: the engine
 *       connects to the first and, when that connect fails, falls back to the next. It must not block,
 *       lock or allocate, and should be O(1) in the number of candidates for typical cases.</li>
 * </ol>
 *
 * <p>Per-backend state a policy needs (active connections, health) lives in the engine and is read
 * through {@link Candidate}, so it survives rebuilds. A policy that throws from {@code rebuild}
 * keeps the previous selection in force; a selection that throws from {@code pick} fails that one
 * connection. Both are counted and logged.
 *
 * <p>Example: a policy preferring one zone, falling back to the rest, is about twenty lines; see
 * {@code examples/}.
 */
public interface BalancingPolicy {

    /**
     * A short name for logs and metrics, such as {@code round-robin}.
     *
     * @return the name, such as {@code round-robin}
     */
    String name();

    /**
     * Builds the selection for a new set of candidates.
     *
     * @param candidates every configured backend, in a stable order; positions in this list are
     *     what {@link Selection#pick} returns. Includes unusable ones, so that a consistent hash can
     *     keep its table when only health changes.
     * @param previous the selection in force until now, or {@code null} on the first build
     * @return an immutable, thread-safe selection
     */
    Selection rebuild(List<Candidate> candidates, Selection previous);

    /** The immutable per-connection half of a policy; see {@link BalancingPolicy}. */
    @FunctionalInterface
    interface Selection {
        /**
         * Writes the positions (in the candidate list this selection was built from) of the backends
         * to try for {@code flow}, best first, without repeating a position.
         *
         * <p>Should return only candidates that are {@link Candidate#usable() usable} at the time of
         * the call; the engine checks again before connecting.
         *
         * @param flow the client connection being placed
         * @param order where to write positions; its length is the most the engine will try
         * @return how many positions were written, 0 when none is usable
         */
        int pick(Flow flow, int[] order);
    }

    /**
     * A configured backend as a policy sees it: its settings and the engine's live view of it. The
     * live values may change at any time; reading them is cheap and never blocks.
     */
    interface Candidate {
        /**
         * The backend as configured.
         *
         * @return the backend as configured now
         */
        Backend backend();

        /**
         * The configured weight, 1–1000.
         *
         * @return 1–1000
         */
        default int weight() {
            return backend().weight();
        }

        /**
         * True while this backend may take a new connection: healthy, admin state up, not removed.
         *
         * @return whether it may take a new connection now
         */
        boolean usable();

        /**
         * Client connections open to this backend now, across every event loop.
         *
         * @return connections open to it now
         */
        int activeConnections();
    }

    /**
     * The new client connection a policy places. Both addresses are the ones the connection was
     * accepted with.
     */
    interface Flow {
        /**
         * The client's address and port.
         *
         * @return the client's address
         */
        InetSocketAddress client();

        /**
         * The frontend (listener) address and port the client connected to.
         *
         * @return the frontend address the client connected to
         */
        InetSocketAddress frontend();
    }

    /**
     * Round robin over the usable backends, ignoring weights; the fallback order continues the
     * rotation.
     *
     * @return a new round-robin policy
     */
    static BalancingPolicy roundRobin() {
        return new RoundRobin();
    }

    /**
     * Azure's default distribution: a hash of the client's IP and port, the protocol and the frontend
     * port (never the frontend IP, so instances on different addresses agree) over the backends.
     * Independent of the order backends are given in.
     *
     * @return the five-tuple hash policy
     */
    static BalancingPolicy fiveTuple() {
        return FlowHash.fiveTuple();
    }

    /**
     * Every connection from one client IP goes to the same backend while it is usable.
     *
     * @return the source-IP hash policy
     */
    static BalancingPolicy sourceIp() {
        return FlowHash.sourceIp();
    }

    /**
     * Client IP and protocol (TCP only today, so the same as {@link #sourceIp()}).
     *
     * @return the source-IP-and-protocol hash policy
     */
    static BalancingPolicy sourceIpProtocol() {
        return FlowHash.sourceIpProtocol();
    }
}
