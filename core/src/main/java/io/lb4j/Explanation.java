package io.lb4j;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * Why a connection from a given client would go where it goes: every configured backend, in the
 * order the policy considers them for that client, each with whether it would be used and, when not,
 * why. Returned by {@link Balancer#explain(InetSocketAddress)}; asking changes nothing (a
 * round-robin cursor is not advanced), so the backend marked used is the one the next connection
 * from that client would get, unless something changes in between. Immutable.
 *
 * @param client the client asked about
 * @param policy the policy's {@link BalancingPolicy#name() name}
 * @param candidates every configured backend: first those the policy would consider, in its order,
 *     then the rest; at most one is {@link Choice#used() used}
 */
public record Explanation(InetSocketAddress client, String policy, List<Choice> candidates) {

    /**
     * Copies the list.
     *
     * @param client the client asked about
     * @param policy the policy's name
     * @param candidates the verdicts in order
     */
    public Explanation {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(policy, "policy");
        candidates = List.copyOf(candidates);
    }

    /**
     * The backend the connection would use, or {@code null} when none would (it would be closed).
     *
     * @return the used backend, or {@code null}
     */
    public Backend chosen() {
        for (Choice c : candidates) {
            if (c.used()) {
                return c.backend();
            }
        }
        return null;
    }

    /**
     * The verdict on one backend.
     *
     * <p>Reasons: {@code "unhealthy"}, {@code "admin-down"}, {@code "draining"} (admin state drain,
     * or a {@link Balancer#drain paced drain}), {@code "removed"}, {@code "unresolved"} (host not
     * found), {@code "connection-limit"} (at its {@code maxConnections}), {@code "connect-rate"} (its
     * {@code backendConnectRate} has no token now), {@code "fallback"} (usable,
     * tried only if the connect to an earlier one fails), {@code "beyond-connect-attempts"} (usable,
     * but later in the order than {@code connectAttempts} reaches), {@code "not-chosen"} (usable, but
     * the policy would not offer it to this client).
     *
     * @param backend the backend as configured
     * @param used whether the connection would go to it
     * @param reason why not, {@code null} when used
     * @param detail more for a person, such as {@code "down since 2024-05-01T10:00:00Z: connect refused"},
     *     {@code "slot owner"} or {@code "up 12 s (slow start ramps from then)"}; may be {@code null}
     */
    public record Choice(Backend backend, boolean used, String reason, String detail) {
    }
}
