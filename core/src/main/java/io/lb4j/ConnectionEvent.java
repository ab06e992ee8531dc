package io.lb4j;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;

/**
 * One client connection as a {@link BalancerListener} sees it when it opens, closes or is rejected.
 * Immutable; made once per event, and only when a listener (or the access log) wants it.
 *
 * @param time when the event happened (wall clock)
 * @param client the client's address ({@code IP:PORT})
 * @param frontend the frontend address that accepted it
 * @param backend the backend it is relayed to, or {@code null} when it never reached one
 * @param duration from accept to this event (for an opened connection: the time to connect)
 * @param bytesToBackend bytes relayed from the client to the backend so far
 * @param bytesToClient bytes relayed from the backend to the client so far
 * @param reason why it closed or was rejected, such as {@code "closed"} (both sides finished),
 *               {@code "client reset"}, {@code "backend reset"}, {@code "idle timeout"},
 *               {@code "balancer closed"}, {@code "no usable backend"},
 *               {@code "all connect attempts failed"}, and for clients refused at accept
 *               {@code "not in an allowed range"}, {@code "in a denied range"},
 *               {@code "per-client connection limit"}, {@code "not allowed to send a PROXY header"};
 *               {@code null} for an opened connection
 */
public record ConnectionEvent(Instant time, InetSocketAddress client, InetSocketAddress frontend, Backend backend,
                              Duration duration, long bytesToBackend, long bytesToClient, String reason) {
}
