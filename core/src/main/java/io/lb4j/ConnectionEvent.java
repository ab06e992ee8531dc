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
 * @param proxyTlvs the TLVs of the client's PROXY protocol v2 header, in the order received (the
 *                  Azure Private Link LINKID among them: {@link ProxyTlvs#azureLinkId()}); empty when
 *                  the client sent none, sent no v2 header, or was refused before it could
 */
public record ConnectionEvent(Instant time, InetSocketAddress client, InetSocketAddress frontend, Backend backend,
                              Duration duration, long bytesToBackend, long bytesToClient, String reason,
                              ProxyTlvs proxyTlvs) {

    /**
     * An event as described above; a {@code null} {@code proxyTlvs} is taken as none.
     *
     * @param time when the event happened (wall clock)
     * @param client the client's address
     * @param frontend the frontend address that accepted it
     * @param backend the backend, or {@code null}
     * @param duration from accept to this event
     * @param bytesToBackend bytes relayed from the client to the backend
     * @param bytesToClient bytes relayed from the backend to the client
     * @param reason why it closed or was rejected, or {@code null}
     * @param proxyTlvs the client's PROXY v2 TLVs, or {@code null} for none
     */
    public ConnectionEvent {
        if (proxyTlvs == null) {
            proxyTlvs = ProxyTlvs.none();
        }
    }

    /**
     * An event without PROXY protocol TLVs (the form before TLVs were carried).
     *
     * @param time when the event happened (wall clock)
     * @param client the client's address
     * @param frontend the frontend address that accepted it
     * @param backend the backend, or {@code null}
     * @param duration from accept to this event
     * @param bytesToBackend bytes relayed from the client to the backend
     * @param bytesToClient bytes relayed from the backend to the client
     * @param reason why it closed or was rejected, or {@code null}
     */
    public ConnectionEvent(Instant time, InetSocketAddress client, InetSocketAddress frontend, Backend backend,
                           Duration duration, long bytesToBackend, long bytesToClient, String reason) {
        this(time, client, frontend, backend, duration, bytesToBackend, bytesToClient, reason, ProxyTlvs.none());
    }
}
