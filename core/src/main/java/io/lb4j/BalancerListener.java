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
}
