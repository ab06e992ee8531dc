package io.lb4j;

import io.lb4j.internal.probe.BlockingProbe;
import io.lb4j.internal.probe.TcpProbe;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/**
 * Checks whether one backend can take traffic.
 *
 * <p>The balancer calls {@link #check} for each backend once per probe interval, on one of its
 * event-loop threads. The probe must return at once; the result completes later, from any thread.
 * The balancer enforces the probe timeout itself: a stage that has not completed by then counts as a
 * failure, and so does a stage completed exceptionally or a {@code check} that throws. Interval,
 * timeout and thresholds are settings of the {@link Balancer}, not of the probe.
 *
 * <p>A probe that blocks must be wrapped with {@link #blocking(Predicate)}, which runs it on a small
 * bounded executor away from the event loops.
 */
@FunctionalInterface
public interface HealthProbe {

    /**
     * Starts one check.
     *
     * @param target what to check, and by when
     * @return completes with the outcome; must not be {@code null}
     */
    CompletionStage<ProbeResult> check(Target target);

    /** What one check is about. */
    interface Target {
        /**
         * The backend being checked.
         *
         * @return the backend
         */
        Backend backend();

        /**
         * The resolved address to check: the backend's, or its probe port when one is set.
         *
         * @return the address to connect to
         */
        InetSocketAddress address();

        /**
         * How long the check may take; the balancer gives up on it after that.
         *
         * @return more than zero
         */
        Duration timeout();
    }

    /**
     * Healthy when a TCP connect succeeds within the timeout; the connection is then closed.
     *
     * @return the TCP probe
     */
    static HealthProbe tcp() {
        return TcpProbe.INSTANCE;
    }

    /**
     * A probe written as plain blocking code, such as {@code backend -> myClient.ping(backend)}.
     * It runs on a small bounded executor, never on an event loop; if it runs past the timeout it
     * counts as failed (and is interrupted); if it throws it counts as failed.
     *
     * @param check returns {@code true} when the backend is healthy; may block
     * @return a probe that runs {@code check} off the event loops
     */
    static HealthProbe blocking(Predicate<Backend> check) {
        return new BlockingProbe(check);
    }
}
