package io.lb4j;

import java.util.Objects;

/**
 * One backend of the pool: where connections go, with its weight, connection limit and admin state.
 *
 * <p>A backend is identified by {@link #name()} ({@code HOST:PORT} exactly as given, IPv6 literals
 * in brackets); two backends with the same name are the same member even when their weight or state
 * differ. A host name is resolved when the backend joins a running balancer.
 *
 * @param host a host name or IP literal (IPv6 without brackets)
 * @param port 1–65535
 * @param weight share of new connections relative to the other backends, 1–1000 (default 1)
 * @param maxConnections connections held at once to this backend, 0 = unlimited (default 0)
 * @param adminState {@link AdminState#UP} unless the operator says otherwise
 */
public record Backend(String host, int port, int weight, int maxConnections, AdminState adminState) {

    /** Highest accepted {@link #weight()}. */
    public static final int MAX_WEIGHT = 1000;

    /**
     * The operator's wish for a backend, independent of its health.
     */
    public enum AdminState {
        /** Takes new connections while healthy. */
        UP,
        /** No new connections, not probed; open connections are closed. */
        DOWN,
        /** No new connections, still probed; open connections are left to finish. */
        DRAIN
    }

    /**
     * Checks every component; see the class documentation for the ranges.
     *
     * @param host a host name or IP literal (IPv6 without brackets)
     * @param port 1–65535
     * @param weight 1–1000
     * @param maxConnections 0 or more, 0 = unlimited
     * @param adminState the operator's wish, never {@code null}
     */
    public Backend {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(adminState, "adminState");
        if (host.isBlank()) {
            throw new IllegalArgumentException("backend host: '' (expected: a host name or IP address)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("backend port: " + port + " (expected: 1-65535)");
        }
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("backend weight: " + weight + " (expected: 1-" + MAX_WEIGHT + ")");
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("backend maxConnections: " + maxConnections + " (expected: >= 0)");
        }
    }

    /**
     * A backend with weight 1, no connection limit, admin state up.
     *
     * @param host a host name or IP literal (IPv6 without brackets)
     * @param port 1–65535
     * @return the backend
     */
    public static Backend of(String host, int port) {
        return new Backend(host, port, 1, 0, AdminState.UP);
    }

    /**
     * Parses {@code HOST:PORT}, {@code [IPv6]:PORT} or {@code IPv6-literal:PORT}.
     *
     * @param hostPort such as {@code 10.0.0.1:9000} or {@code [::1]:9000}
     * @return the backend, weight 1, no connection limit, admin state up
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Backend parse(String hostPort) {
        Objects.requireNonNull(hostPort, "hostPort");
        String host;
        String port;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0 || close + 1 >= hostPort.length() || hostPort.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("backend: '" + hostPort + "' (expected: [IPv6]:PORT)");
            }
            host = hostPort.substring(1, close);
            port = hostPort.substring(close + 2);
        } else {
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("backend: '" + hostPort + "' (expected: HOST:PORT)");
            }
            host = hostPort.substring(0, colon);
            port = hostPort.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("backend port: '" + port + "' (expected: 1-65535)");
        }
        return of(host, p);
    }

    /**
     * {@code HOST:PORT}, with an IPv6 literal in brackets; the backend's identity.
     *
     * @return {@code HOST:PORT}
     */
    public String name() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /**
     * This backend with another weight.
     *
     * @param newWeight 1–1000
     * @return a new backend; this one is unchanged
     */
    public Backend withWeight(int newWeight) {
        return new Backend(host, port, newWeight, maxConnections, adminState);
    }

    /**
     * This backend with another connection limit (0 = unlimited).
     *
     * @param newMaxConnections 0 or more, 0 = unlimited
     * @return a new backend; this one is unchanged
     */
    public Backend withMaxConnections(int newMaxConnections) {
        return new Backend(host, port, weight, newMaxConnections, adminState);
    }

    /**
     * This backend with another admin state.
     *
     * @param newState the operator's wish
     * @return a new backend; this one is unchanged
     */
    public Backend withAdminState(AdminState newState) {
        return new Backend(host, port, weight, maxConnections, newState);
    }

    @Override
    public String toString() {
        return name();
    }
}
