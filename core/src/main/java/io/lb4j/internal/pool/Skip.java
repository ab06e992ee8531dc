package io.lb4j.internal.pool;

/**
 * Why a new connection passes a backend by, as {@link BackendState#skip()} answers it: the one rule
 * that the relay's connect, the wait queue and {@code explain} all apply, so an explanation cannot
 * drift from what a client meets. The constants are in the order the rule checks them.
 */
public enum Skip {
    /** The registry dropped it. */
    REMOVED("removed", true),
    /** Its admin state is {@code DOWN}. */
    ADMIN_DOWN("admin-down", true),
    /** Its admin state is {@code DRAIN}, or a paced drain took it out of rotation. */
    DRAINING("draining", true),
    /** Not up (and no panic mode overrides that). */
    UNHEALTHY("unhealthy", true),
    /** Its host did not resolve. */
    UNRESOLVED("unresolved", false),
    /** At its {@code maxConnections}. */
    CONNECTION_LIMIT("connection-limit", false),
    /** Its connect rate ({@code backendConnectRate}) has no token now. */
    CONNECT_RATE("connect-rate", false);

    private final String reason;
    private final boolean unusable;

    Skip(String reason, boolean unusable) {
        this.reason = reason;
        this.unusable = unusable;
    }

    /** The reason as {@code explain} and {@code GET /explain} word it, such as {@code "connection-limit"}. */
    public String reason() {
        return reason;
    }

    /**
     * Whether a policy sees the backend as not {@link io.lb4j.BalancingPolicy.Candidate#usable() usable}
     * (its pick offers only usable ones); the other skips are found by the relay when it comes to connect.
     */
    public boolean unusable() {
        return unusable;
    }

    /**
     * Whether the backend would take connections, only not this one now (at its limit, or its connect
     * rate spent): a client may wait for it, and a newcomer queues behind those who wait for it.
     */
    public boolean busy() {
        return this == CONNECTION_LIMIT || this == CONNECT_RATE;
    }
}
