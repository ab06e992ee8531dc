package io.lb4j;

import io.lb4j.internal.policy.LeastConnections;
import io.lb4j.internal.policy.MaglevHash;
import io.lb4j.internal.policy.MaglevTable;
import io.lb4j.internal.policy.PowerOfTwo;
import io.lb4j.internal.policy.RoundRobin;
import io.lb4j.internal.policy.SmoothWeightedRoundRobin;
import java.net.InetSocketAddress;
import java.time.Duration;
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
 * {@code ZoneAwarePolicyExample} in lb4j's examples. To check your own policy's spread and
 * movement, no balancer is needed: {@link Candidate} is an interface a test implements in a few
 * lines, so a test calls {@link #rebuild} with its own candidates (joining, leaving, turning
 * unusable) and {@link Selection#pick} with the flows it cares about, and counts where they go.
 *
 * <p>Built-ins (each call returns a new, independent policy; give each balancer its own):
 * <table>
 *   <caption>Built-in policies</caption>
 *   <tr><th>factory</th><th>name</th><th>weights</th><th>pick cost</th></tr>
 *   <tr><td>{@link #roundRobin()}</td><td>round-robin</td><td>ignored</td><td>O(1)</td></tr>
 *   <tr><td>{@link #weightedRoundRobin()}</td><td>weighted-round-robin</td><td>yes</td><td>O(1)</td></tr>
 *   <tr><td>{@link #leastConnections()}</td><td>least-connections</td><td>yes</td><td>O(backends)</td></tr>
 *   <tr><td>{@link #powerOfTwo()}</td><td>power-of-two</td><td>yes</td><td>O(1)</td></tr>
 *   <tr><td>{@link #fiveTuple()}, {@link #sourceIp()}, {@link #sourceIpProtocol()}</td>
 *       <td>five-tuple, source-ip, source-ip-protocol</td><td>yes</td><td>O(1) typical</td></tr>
 * </table>
 */
public interface BalancingPolicy {

    /**
     * A short name for logs and metrics, such as {@code round-robin}.
     *
     * @return the name, such as {@code round-robin}
     */
    String name();

    /**
     * This policy with slow start: a backend that turns healthy after the balancer started (a
     * scale-out, a recovery) gets a share that ramps linearly from 5% to its full weight over
     * {@code window}, measured from {@link Candidate#upSinceNanos()}, so it is not flooded at once.
     * Off unless asked for; backends healthy from the start never ramp.
     *
     * <p>Supported by {@link #weightedRoundRobin()}, {@link #leastConnections()} and
     * {@link #powerOfTwo()}; the default throws. Call while configuring, not on a running balancer.
     *
     * @param window the ramp, greater than zero
     * @return a new policy; this one is unchanged
     * @throws IllegalArgumentException when {@code window} is zero or negative
     * @throws UnsupportedOperationException when this policy has no slow start
     */
    default BalancingPolicy withSlowStart(Duration window) {
        throw new UnsupportedOperationException("slowStart: not supported by policy " + name()
                + " (expected: weighted-round-robin, least-connections or power-of-two)");
    }

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

        /**
         * What the next {@link #pick} for {@code flow} would write, without changing any state of this
         * selection (a round-robin cursor is not advanced, no random number is drawn from a shared
         * source), for {@code Balancer.explain} and {@code GET /explain}. May also write candidates
         * that {@code pick} would walk past because they are not usable (a hash's slot owner, say), in
         * the order the policy considers them; the balancer reports those as skipped, with why.
         *
         * <p>The default calls {@link #pick}, which is right for a selection whose pick has no side
         * effects (the consistent hashes); a stateful selection overrides it. Called on any thread,
         * rarely; it may allocate.
         *
         * @param flow the client connection to place
         * @param order where to write positions; its length is the number of candidates
         * @return how many positions were written
         */
        default int explain(Flow flow, int[] order) {
            return pick(flow, order);
        }
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

        /**
         * When this backend's health last turned up, on the {@link System#nanoTime()} clock, for slow
         * start; {@link Long#MIN_VALUE} when it has been up since the balancer started (or for a
         * candidate that does not track it, the default).
         *
         * @return nanoTime of the last turn to healthy, or {@code Long.MIN_VALUE}
         */
        default long upSinceNanos() {
            return Long.MIN_VALUE;
        }
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
     * rotation. Lock-free: one atomic increment per pick.
     *
     * @return a new round-robin policy
     */
    static BalancingPolicy roundRobin() {
        return new RoundRobin();
    }

    /**
     * Smooth weighted round robin, as nginx does it: over every cycle of (sum of weights) picks each
     * usable backend gets exactly its weight's share, and a heavy backend's turns are spread out
     * rather than sent in a burst. Lock-free (a cycle precomputed at each rebuild); the fallback order
     * continues round the usable backends. Supports {@link #withSlowStart}.
     *
     * @return a new smooth weighted round-robin policy
     */
    static BalancingPolicy weightedRoundRobin() {
        return new SmoothWeightedRoundRobin();
    }

    /**
     * The usable backend with the fewest active connections relative to its weight (ties shared in
     * turn); the fallbacks follow in increasing load. O(backends) per pick. Supports
     * {@link #withSlowStart}.
     *
     * @return a new least-connections policy
     */
    static BalancingPolicy leastConnections() {
        return new LeastConnections();
    }

    /**
     * Power of two choices: two distinct usable backends at random, the one with fewer active
     * connections relative to its weight first and the other second. O(1) per pick. Supports
     * {@link #withSlowStart}.
     *
     * @return a new power-of-two-choices policy
     */
    static BalancingPolicy powerOfTwo() {
        return new PowerOfTwo();
    }

    /**
     * Azure's default distribution: a consistent hash of the client's IP and port, the protocol and
     * the frontend port (never the frontend IP, so instances on different addresses agree), over a
     * Maglev table of 65,537 slots built from the
     * backends' names and weights (algorithm {@code maglev-v1}, {@code docs/MAGLEV.md}). Independent
     * of the order backends are given in and of the instance computing it. When a backend becomes
     * unusable only its flows move, and they return when it does.
     *
     * @return the five-tuple hash policy
     */
    static BalancingPolicy fiveTuple() {
        return fiveTuple(MaglevTable.DEFAULT_SIZE);
    }

    /**
     * {@link #fiveTuple()} with another table size: a prime of at least the number of backends;
     * about 100 times the number of backends keeps each within about 1% of its share.
     *
     * @param tableSize slots in the Maglev table
     * @return the five-tuple hash policy
     * @throws IllegalArgumentException when {@code tableSize} is not a prime in 3–16,777,213
     */
    static BalancingPolicy fiveTuple(int tableSize) {
        return MaglevHash.fiveTuple(tableSize);
    }

    /**
     * Every connection from one client IP goes to the same backend while it is usable (the same
     * consistent hash as {@link #fiveTuple()}, keyed on the client IP).
     *
     * @return the source-IP hash policy
     */
    static BalancingPolicy sourceIp() {
        return sourceIp(MaglevTable.DEFAULT_SIZE);
    }

    /**
     * {@link #sourceIp()} with another table size; see {@link #fiveTuple(int)}.
     *
     * @param tableSize slots in the Maglev table
     * @return the source-IP hash policy
     * @throws IllegalArgumentException when {@code tableSize} is not a prime in 3–16,777,213
     */
    static BalancingPolicy sourceIp(int tableSize) {
        return MaglevHash.sourceIp(tableSize);
    }

    /**
     * Client IP and protocol (TCP only today, so it maps every client as {@link #sourceIp()} does).
     *
     * @return the source-IP-and-protocol hash policy
     */
    static BalancingPolicy sourceIpProtocol() {
        return sourceIpProtocol(MaglevTable.DEFAULT_SIZE);
    }

    /**
     * {@link #sourceIpProtocol()} with another table size; see {@link #fiveTuple(int)}.
     *
     * @param tableSize slots in the Maglev table
     * @return the source-IP-and-protocol hash policy
     * @throws IllegalArgumentException when {@code tableSize} is not a prime in 3–16,777,213
     */
    static BalancingPolicy sourceIpProtocol(int tableSize) {
        return MaglevHash.sourceIpProtocol(tableSize);
    }
}
