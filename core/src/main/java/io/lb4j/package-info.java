/**
 * lb4j, an embeddable Layer-4 (TCP) load balancer: the whole public API.
 *
 * <p>A {@link io.lb4j.Balancer} accepts client connections on one or more frontend addresses, picks
 * a backend for each with a {@link io.lb4j.BalancingPolicy}, and relays bytes both ways untouched
 * until either side closes, so WebSocket, HTTP, TLS and any other TCP protocol pass through. Three
 * plug points shape it, each an interface with built-ins behind static factories:
 *
 * <pre>
 *   BackendRegistry ──snapshots──▶ pool ◀──health── HealthProbe (+ passive checks)
 *   (fixed, dynamic,               │
 *    file, DNS, yours)             ▼ rebuild (control thread)
 *                          BalancingPolicy.Selection
 *                                  │ pick(flow, order)  (event loop, lock- and allocation-free)
 *   client ──▶ frontend ──accept──▶ pair ──connect──▶ backend
 *                                  ◀═════ relay ═════▶        (one event loop per pair)
 * </pre>
 *
 * <ul>
 *   <li>{@link io.lb4j.BackendRegistry}: where backends come from; it pushes full membership
 *       snapshots ({@link io.lb4j.Backend}: address, weight, connection limit, admin state).</li>
 *   <li>{@link io.lb4j.HealthProbe}: whether a backend may take traffic (TCP, HTTP, WebSocket
 *       handshake, the last two also over TLS with {@link io.lb4j.ProbeTls}, or your own); interval,
 *       timeout and thresholds are settings of the balancer.</li>
 *   <li>{@link io.lb4j.BalancingPolicy}: which backend a new connection goes to, with a fallback
 *       order for failed connects (round robin, weighted, least connections, power of two, and the
 *       Azure distribution modes as a Maglev consistent hash).</li>
 * </ul>
 *
 * <p>Operating it: {@link io.lb4j.Balancer#stats()} ({@link io.lb4j.BalancerStats}), events on a
 * {@link io.lb4j.BalancerListener} ({@link io.lb4j.ConnectionEvent}), open connections as
 * {@link io.lb4j.Connection} handles, {@link io.lb4j.Balancer#explain} ({@link io.lb4j.Explanation}),
 * paced drains ({@link io.lb4j.DrainReport}), PROXY protocol ({@link io.lb4j.ProxyProtocol}), an
 * optional metrics endpoint, JMX and JDK Flight Recorder events.
 *
 * <p>Everything under {@code io.lb4j.internal} is the engine and is not exported.
 */
package io.lb4j;
