package io.lb4j;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * One relayed client connection, as {@link Balancer#connections()} saw it: the figures are a snapshot
 * taken on the connection's event loop at that moment (they do not change afterwards), while
 * {@link #tag(String)} and {@link #close(String)} act on the live connection. Forwarding never stops
 * for a snapshot: each loop fills in its own connections between two rounds of work.
 *
 * <p>Thread-safe; a handle may be kept after the connection has ended (acting on it then does
 * nothing). Only connections relayed to a backend are listed, not those still connecting.
 */
public interface Connection {

    /**
     * The client: its TCP peer address, or the one its accepted PROXY header claimed.
     *
     * @return the client's {@code IP:PORT}
     */
    InetSocketAddress client();

    /**
     * The frontend (listener) address the client connected to.
     *
     * @return the frontend address
     */
    InetSocketAddress frontend();

    /**
     * The backend the connection is relayed to.
     *
     * @return the backend as configured when the snapshot was taken
     */
    Backend backend();

    /**
     * Time since the client was accepted, at the snapshot.
     *
     * @return the age, never negative
     */
    Duration age();

    /**
     * Time since the last byte either way, at the snapshot.
     *
     * @return the idle time, never negative
     */
    Duration idle();

    /**
     * Bytes relayed from the client to the backend, at the snapshot.
     *
     * @return a count of bytes
     */
    long bytesToBackend();

    /**
     * Bytes relayed from the backend to the client, at the snapshot.
     *
     * @return a count of bytes
     */
    long bytesToClient();

    /**
     * The TLVs of the PROXY protocol v2 header the client sent (with
     * {@link Balancer.Builder#acceptProxyProtocol(boolean)}), in the order received; the Azure Private
     * Link LINKID is {@code proxyTlvs().azureLinkId()}.
     *
     * @return the TLVs; empty when the client sent none or no v2 header
     */
    default ProxyTlvs proxyTlvs() {
        return ProxyTlvs.none();
    }

    /**
     * The tag the host set on this connection, at the snapshot.
     *
     * @return the tag, or {@code null} when none was set
     */
    String tag();

    /**
     * Sets a tag on the live connection (a user or session id, say); later snapshots show it. Cheap:
     * one volatile write. Any thread.
     *
     * @param tag any text, or {@code null} to clear it
     */
    void tag(String tag);

    /**
     * Closes the connection on its event loop (both sides get a FIN), as the reason
     * {@code "closed by host: REASON"} in events and the access log. Any thread; returns at once.
     *
     * @param reason why, for the logs; not {@code null}
     * @return completes with {@code true} when this call closed it, {@code false} when it had ended
     *     already
     */
    CompletionStage<Boolean> close(String reason);
}
