package io.lb4j;

/**
 * Receives the balancer's events. Every method has an empty default, so a listener overrides only
 * what it needs, and methods added later break nobody.
 *
 * <p>Threads: methods are called from the balancer's own threads (event loops and its control
 * thread), possibly concurrently. They must be fast and must not block: hand heavy work to an
 * executor of your own. A listener that throws is logged and otherwise ignored. A listener may call
 * {@link Balancer#stats()} but must not call {@link Balancer#close()} from inside a callback.
 */
public interface BalancerListener {

    /**
     * A backend's health changed.
     *
     * @param backend the backend, as currently configured
     * @param from the state before
     * @param to the state now
     * @param reason why, such as {@code "probe: connect refused"} or {@code "probe: ok"}
     */
    default void backendStateChanged(Backend backend, HealthState from, HealthState to, String reason) {
    }

    /**
     * A client connection reached a backend and now relays bytes. Called on the connection's event
     * loop. {@link ConnectionEvent#reason()} is {@code null}; the duration is the time from accept to
     * connected. Not overriding this method costs nothing per connection.
     *
     * @param event the connection
     */
    default void connectionOpened(ConnectionEvent event) {
    }

    /**
     * A connection that had been {@linkplain #connectionOpened opened} ended, with its duration, the
     * bytes relayed each way and why it closed. Called once per opened connection, on its event loop.
     * Not overriding this method costs nothing per connection.
     *
     * @param event the connection
     */
    default void connectionClosed(ConnectionEvent event) {
    }

    /**
     * A client connection was closed without ever reaching a backend (no usable backend, every
     * connect attempt failed, a limit, an access rule), with the reason. Every accepted connection
     * ends in exactly one of {@link #connectionClosed} or this method. Called on its event loop.
     *
     * @param event the connection; {@link ConnectionEvent#backend()} is {@code null}
     */
    default void connectionRejected(ConnectionEvent event) {
    }
}
