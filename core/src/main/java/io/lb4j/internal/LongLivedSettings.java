package io.lb4j.internal;

import java.net.InetSocketAddress;

/**
 * The balancer's settings for long-lived connections: how a shutdown paces its closes, the health
 * endpoint a balancer in front of lb4j probes, and TCP keepalive. Kept apart from {@link Config} so
 * that they travel together and the long-lived-connection features stay in one place.
 *
 * @param drainPacingNs on close, spread the closing of open connections over this; 0 = let them
 *     finish until the drain timeout instead
 * @param frontHealth where the front-door health endpoint listens, or {@code null} for none
 * @param frontHealthTcp {@code true}: TCP mode (listener open only while healthy); else HTTP
 * @param frontHealthMinBackends usable backends needed to answer healthy
 * @param frontHealthGraceNs on close, unhealthy at once but accepting this long before the drain
 * @param keepAliveIdleNs TCP keepalive idle time on both sides of every pair; 0 = keepalive off
 * @param pacing accept pacing and rebalancing after scale-out
 * @param reusePort bind the listeners with {@code SO_REUSEPORT} (no plain-bind check), so a successor
 *     can bind the same addresses and take over with a hand-over
 */
public record LongLivedSettings(long drainPacingNs, InetSocketAddress frontHealth, boolean frontHealthTcp,
                        int frontHealthMinBackends, long frontHealthGraceNs, long keepAliveIdleNs, Pacing pacing,
                        boolean reusePort) {


    /** Default keepalive idle: below Azure Load Balancer's 4-minute idle timeout (and AWS NLB's 350 s). */
    public static final long DEFAULT_KEEPALIVE_IDLE_NS = 120_000_000_000L;
}
