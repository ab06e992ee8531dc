package io.lb4j;

import io.lb4j.internal.probe.BlockingProbe;
import io.lb4j.internal.probe.HttpProbe;
import io.lb4j.internal.probe.TcpProbe;
import io.lb4j.internal.probe.WebSocketProbe;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.IntPredicate;
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
 * <p>A probe that blocks must be wrapped with {@link #blockingCheck(Function)} or
 * {@link #blocking(Predicate)}, which run it on a small bounded executor away from the event loops.
 *
 * <p>Built-ins: {@link #tcp()}, {@link #http(String)}, {@link #webSocket(String)} and their TLS
 * twins {@link #https(String)}, {@link #secureWebSocket(String)} run non-blocking on the balancer's
 * own event loops (no threads of their own, about a socket each per check);
 * {@link #blockingCheck(Function)} and {@link #asyncCheck(Function)} wrap the host's own code and give
 * it the whole {@link Target} (probe address, timeout, PROXY setting) and a {@link ProbeResult} with a
 * reason; {@link #blocking(Predicate)} and {@link #async(Function)} are their yes/no forms for code
 * that needs only the {@link Backend}. (The {@code Target} forms have names of their own: an
 * overload of {@code blocking} would make every {@code blocking(b -> ...)} lambda ambiguous, and
 * {@code async}'s two forms would have the same erasure.)
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

        /**
         * The PROXY protocol version the balancer sends its backends, or {@code null} when it sends
         * none. A backend that requires the header would refuse a check without one, so a probe then
         * starts its connection with {@link ProxyProtocol#localHeader()}, as the built-in probes do.
         *
         * @return the version, or {@code null}
         */
        default ProxyProtocol proxyProtocol() {
            return null;
        }
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
     * It runs on a small bounded executor (16 threads), never on an event loop; if it runs past the
     * timeout it counts as failed (and is interrupted); if it throws it counts as failed. While the
     * check is still running for a backend (for instance stuck, ignoring the interrupt), that
     * backend's next checks share its outcome instead of taking another thread, so a hung check never
     * starves the others.
     *
     * @param check returns {@code true} when the backend is healthy; may block
     * @return a probe that runs {@code check} off the event loops
     */
    static HealthProbe blocking(Predicate<Backend> check) {
        return BlockingProbe.blocking(check);
    }

    /**
     * Healthy when {@code GET path HTTP/1.1} is answered with a 2xx status. The request carries
     * {@code Host: HOST:PORT} (the backend's host and the probed port) and {@code Connection: close};
     * only the response head is read, at most 8 KiB. A malformed, truncated or oversized response,
     * or none, is a failure whose reason says which (for example {@code "status 503"},
     * {@code "malformed status line"}, {@code "truncated response"}).
     *
     * @param path the request target, such as {@code /health} or {@code /ready?deep=1}: starts
     *     with {@code /}, visible ASCII, no spaces
     * @return the HTTP probe
     * @throws IllegalArgumentException naming {@code path} when it is not such a path
     */
    static HealthProbe http(String path) {
        return new HttpProbe(path, status -> status >= 200 && status <= 299);
    }

    /**
     * As {@link #http(String)}, healthy when {@code healthyStatus} accepts the status code, such as
     * {@code s -> s == 200 || s == 429}. The predicate runs on an event loop: keep it trivial.
     *
     * @param path the request target, as for {@link #http(String)}
     * @param healthyStatus accepts the status codes that count as healthy
     * @return the HTTP probe
     * @throws IllegalArgumentException naming {@code path} when it is not an absolute path
     */
    static HealthProbe http(String path, IntPredicate healthyStatus) {
        return new HttpProbe(path, healthyStatus);
    }

    /**
     * Healthy when a WebSocket opening handshake (RFC 6455 section 4.1) on {@code path} succeeds: the
     * backend answers {@code 101} with {@code Upgrade: websocket}, {@code Connection: Upgrade} and
     * the {@code Sec-WebSocket-Accept} that matches the probe's random {@code Sec-WebSocket-Key}. The
     * probe then sends a masked close frame (status 1000) and closes the socket. Unlike an HTTP
     * probe, it does not fail a WebSocket server that answers a plain GET with 426.
     *
     * @param path the request target, such as {@code /ws}, as for {@link #http(String)}
     * @return the WebSocket-handshake probe
     * @throws IllegalArgumentException naming {@code path} when it is not an absolute path
     */
    static HealthProbe webSocket(String path) {
        return new WebSocketProbe(path);
    }

    /**
     * As {@link #http(String)} over TLS, with {@link ProbeTls#defaults()}: the certificate must chain
     * to the JDK's trust store and match the backend's host. The handshake and the request share the
     * probe timeout. Failures say what failed, such as {@code "tls: certificate not trusted"},
     * {@code "tls: hostname mismatch"}, {@code "tls: certificate expired"},
     * {@code "tls: handshake timed out"} or {@code "status 503"}.
     *
     * @param path the request target, as for {@link #http(String)}
     * @return the HTTPS probe
     * @throws IllegalArgumentException naming {@code path} when it is not an absolute path
     */
    static HealthProbe https(String path) {
        return https(path, ProbeTls.defaults());
    }

    /**
     * As {@link #https(String)} with the given TLS settings.
     *
     * @param path the request target, as for {@link #http(String)}
     * @param tls trust, server name and client certificate
     * @return the HTTPS probe
     * @throws IllegalArgumentException naming {@code path} when it is not an absolute path
     */
    static HealthProbe https(String path, ProbeTls tls) {
        return new HttpProbe(path, status -> status >= 200 && status <= 299,
                Objects.requireNonNull(tls, "tls").client());
    }

    /**
     * As {@link #webSocket(String)} over TLS ({@code wss://}), with {@link ProbeTls#defaults()}; the
     * close frame is sent inside TLS and followed by TLS's {@code close_notify}.
     *
     * @param path the request target, such as {@code /ws}
     * @return the secure WebSocket-handshake probe
     * @throws IllegalArgumentException naming {@code path} when it is not an absolute path
     */
    static HealthProbe secureWebSocket(String path) {
        return secureWebSocket(path, ProbeTls.defaults());
    }

    /**
     * As {@link #secureWebSocket(String)} with the given TLS settings.
     *
     * @param path the request target, such as {@code /ws}
     * @param tls trust, server name and client certificate
     * @return the secure WebSocket-handshake probe
     * @throws IllegalArgumentException naming {@code path} when it is not an absolute path
     */
    static HealthProbe secureWebSocket(String path, ProbeTls tls) {
        return new WebSocketProbe(path, Objects.requireNonNull(tls, "tls").client());
    }

    /**
     * A probe whose check returns a stage, such as one made with {@code java.net.http.HttpClient}'s
     * {@code sendAsync}. The function is called on the balancer's small probe executor (never on an
     * event loop) and should return at once; the stage completing with {@code true} is a pass,
     * {@code false}, {@code null}, an exception or a throw is a failure. A stage not completed within
     * the probe timeout counts as failed and is cancelled.
     *
     * @param check starts a check of the backend and returns its stage
     * @return a probe that runs {@code check} off the event loops
     */
    static HealthProbe async(Function<Backend, CompletionStage<Boolean>> check) {
        return BlockingProbe.async(check);
    }

    /**
     * A probe written as plain blocking code that sees the whole {@link Target} and gives a reason
     * with its verdict, such as
     * {@code t -> ping(t.address(), t.timeout()) ? ProbeResult.ok() : ProbeResult.failed("no PONG")}.
     * It runs as {@link #blocking(Predicate)} does: on a small bounded executor (16 threads), never on
     * an event loop, interrupted when it runs past the timeout, failed when it throws or returns
     * {@code null}; a backend whose check is still running gets no second thread.
     *
     * @param check returns the outcome for the target, {@link ProbeResult#ok()} when healthy; may block
     * @return a probe that runs {@code check} off the event loops
     */
    static HealthProbe blockingCheck(Function<Target, ProbeResult> check) {
        return BlockingProbe.blockingCheck(check);
    }

    /**
     * A probe whose check sees the whole {@link Target} and returns a stage of its outcome, such as one
     * made with {@code java.net.http.HttpClient}'s {@code sendAsync}. The function is called on the
     * balancer's small probe executor (never on an event loop) and should return at once; a stage
     * completed with {@code null} or exceptionally, or a throw, is a failure; a stage not completed
     * within {@link Target#timeout()} counts as failed and is cancelled.
     *
     * @param check starts a check of the target and returns the stage of its outcome
     * @return a probe that runs {@code check} off the event loops
     */
    static HealthProbe asyncCheck(Function<Target, CompletionStage<ProbeResult>> check) {
        return BlockingProbe.asyncCheck(check);
    }
}
