package io.lb4j.internal;

import io.lb4j.BackendRegistry;
import io.lb4j.BalancerListener;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthProbe;
import io.lb4j.HealthState;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The balancer's settings after {@code build()}: immutable, durations in nanoseconds. Also holds the
 * argument checks shared by the builder and the CLI, so both word their errors alike.
 *
 * <p>{@code metricsAddress}: where {@code /metrics} and {@code /stats} are served, {@code null} = off;
 * {@code jmx}: whether MBeans are registered; {@code lifecycle}: drain pacing, front-door health and
 * keepalive.
 */
public record Config(List<InetSocketAddress> listen, BackendRegistry registry, BalancingPolicy policy,
                     HealthProbe probe, long probeIntervalNs, long probeTimeoutNs, int unhealthyThreshold,
                     int healthyThreshold, int probePort, long idleTimeoutNs, boolean resetOnIdle,
                     long connectTimeoutNs, int connectAttempts, int eventLoops, long drainTimeoutNs,
                     BalancerListener listener, Edge edge, InetSocketAddress metricsAddress, boolean jmx,
                     Health health, long removedGraceNs, boolean closeOnAdminDown, LongLivedSettings lifecycle) {

    /**
     * Health handling beyond the probe cadence.
     *
     * @param initial health of a probed backend before its first probe: UNKNOWN, UP or DOWN
     * @param passiveFailureThreshold consecutive failed connects that mark a backend down; 0 = off
     * @param closeOnUnhealthy close open connections of a backend that turns unhealthy
     * @param panicMode when no backend is healthy, send to every admin-up backend anyway
     */
    public record Health(HealthState initial, int passiveFailureThreshold, boolean closeOnUnhealthy,
                         boolean panicMode) {
        /** The defaults: first probe decides, passive threshold 5, keep connections, no panic. */
        public static final Health DEFAULTS = new Health(HealthState.UNKNOWN, 5, false, false);
    }

    /** Rejects null, zero and negative durations. */
    public static Duration positive(String setting, Duration value) {
        Objects.requireNonNull(value, setting);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(setting + ": " + Durations.format(value) + " (expected: > 0)");
        }
        return value;
    }

    /** Rejects null and negative durations. */
    public static Duration nonNegative(String setting, Duration value) {
        Objects.requireNonNull(value, setting);
        if (value.isNegative()) {
            throw new IllegalArgumentException(setting + ": " + Durations.format(value) + " (expected: >= 0)");
        }
        return value;
    }

    /** Rejects values below {@code min}. */
    public static int atLeast(String setting, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(setting + ": " + value + " (expected: >= " + min + ")");
        }
        return value;
    }

    /**
     * Parses {@code HOST:PORT} or {@code [IPv6]:PORT} into an unresolved-if-needed socket address;
     * port 0 is allowed (a frontend picks a free port). IP literals never touch DNS.
     */
    public static InetSocketAddress parseAddress(String setting, String hostPort) {
        Objects.requireNonNull(hostPort, setting);
        String host;
        String portText;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0 || close + 1 >= hostPort.length() || hostPort.charAt(close + 1) != ':') {
                throw new IllegalArgumentException(setting + ": '" + hostPort + "' (expected: [IPv6]:PORT)");
            }
            host = hostPort.substring(1, close);
            portText = hostPort.substring(close + 2);
        } else {
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0 || hostPort.indexOf(':') != colon) {
                throw new IllegalArgumentException(setting + ": '" + hostPort
                        + "' (expected: HOST:PORT, or [IPv6]:PORT)");
            }
            host = hostPort.substring(0, colon);
            portText = hostPort.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535 || host.isEmpty()) {
            throw new IllegalArgumentException(setting + ": '" + hostPort + "' (expected: HOST:PORT with PORT 0-65535)");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }
}
