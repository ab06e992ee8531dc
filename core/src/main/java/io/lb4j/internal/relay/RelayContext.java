package io.lb4j.internal.relay;

import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.Pool;

/**
 * What every connection pair of one balancer shares: the pool to pick from, the timeouts, and the
 * engine's bookkeeping callbacks. Immutable; one instance per balancer.
 *
 * @param pool where backends are picked
 * @param idleTimeoutNs 0 = never
 * @param resetOnIdle RST instead of FIN on idle timeout
 * @param connectTimeoutNs per attempt
 * @param connectAttempts backends tried per client connection
 * @param events the engine's bookkeeping
 * @param admission who may come in, limits, and the PROXY protocol settings
 * @param keepAliveIdleNs TCP keepalive idle time set on both sockets of each pair; 0 = off
 * @param queue clients waiting while their backends are full
 */
public record RelayContext(Pool pool, long idleTimeoutNs, boolean resetOnIdle, long connectTimeoutNs,
                    int connectAttempts, Events events, Admission admission, long keepAliveIdleNs,
                    WaitQueue queue) {

    /** Bookkeeping the engine does for pairs; called on the pair's loop. */
    public interface Events {
        /** A client was accepted; a pair exists from now until {@link #closed}. */
        void accepted(ConnectionPair pair);

        /** A pair was set up and relays bytes. */
        void opened(ConnectionPair pair);

        /** A pair ended, whether or not it ever reached a backend. */
        void closed(ConnectionPair pair, String why);

        /** A connect attempt to {@code backend} failed. */
        void connectFailed(BackendState backend, String why);

        /**
         * A client was closed at accept, before any pair existed (allow/deny, per-client limit, an
         * untrusted PROXY sender); already counted as rejected on {@code frontend}.
         *
         * @param client the TCP peer, or {@code null} when it left before its address was read
         */
        void refused(Frontend frontend, java.net.InetSocketAddress client, String why);
    }
}
