package io.lb4j.internal;

/**
 * The balancer's settings against reconnect storms and for spreading long-lived connections again:
 * accept pacing (global and per backend token buckets), rebalancing after scale-out, and the queue of
 * clients waiting while their backends are full. Kept as one
 * record so that they travel together inside {@link LongLivedSettings}.
 *
 * @param acceptRate new client connections accepted per second across all listeners; 0 = unpaced
 * @param acceptBurst tokens the global bucket holds (connections accepted at once after a quiet spell)
 * @param backendConnectRate new connections per second to each backend (burst: one second's worth);
 *     0 = unpaced
 * @param rebalanceIntervalNs how often the spread is checked; 0 = rebalancing off
 * @param maxSpread the spread (max / mean - 1 of weight-adjusted active connections) tolerated
 * @param maxSharePerMinute the share of a backend's connections that may be moved in one minute
 * @param queueTimeoutNs how long a client may wait for a slot when its backends are full; 0 = no queue
 * @param maxQueued clients waiting at once
 */
public record Pacing(int acceptRate, int acceptBurst, int backendConnectRate, long rebalanceIntervalNs,
                     double maxSpread, double maxSharePerMinute, long queueTimeoutNs, int maxQueued) {
}
