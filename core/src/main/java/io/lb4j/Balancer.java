package io.lb4j;

import io.lb4j.internal.AddressText;
import io.lb4j.internal.Cidr;
import io.lb4j.internal.Config;
import io.lb4j.internal.Durations;
import io.lb4j.internal.Edge;
import io.lb4j.internal.LongLivedSettings;
import io.lb4j.internal.Pacing;
import io.lb4j.internal.engine.Engine;
import io.lb4j.internal.engine.EngineAccess;
import io.lb4j.internal.export.PrometheusText;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * An embedded Layer-4 load balancer: accepts TCP connections on one or more frontend addresses,
 * picks a healthy backend for each with a {@link BalancingPolicy}, and relays bytes both ways
 * untouched until either side closes. WebSocket, HTTP, TLS and any other TCP protocol pass through.
 *
 * <pre>{@code
 * Balancer lb = Balancer.builder()
 *         .listen("0.0.0.0:8080")
 *         .backend("10.0.0.11:9000")
 *         .backend("10.0.0.12:9000")
 *         .probe(HealthProbe.tcp())
 *         .build();
 * lb.start();                       // binds, probes every backend once, then accepts
 * ...
 * lb.close();                       // graceful: stop accepting, drain, then close the rest
 * }</pre>
 *
 * <p>Life cycle: {@link #start()} once, then {@link #close()} once; both are thread-safe and may be
 * called from any thread except the balancer's own. A closed balancer cannot be restarted.
 */
public final class Balancer implements AutoCloseable {

    static {
        EngineAccess.install(balancer -> balancer.engine);
    }

    private final Engine engine;

    /** The {@code Content-Type} of what {@link #writePrometheus(Appendable)} writes. */
    public static final String PROMETHEUS_CONTENT_TYPE = PrometheusText.CONTENT_TYPE;

    private Balancer(Config config, String name) {
        this.engine = new Engine(config, name);
    }

    /**
     * A builder with Azure Load Balancer's defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds every frontend address, starts the event loops and the registry, runs the first probe of
     * every backend, and returns once each has answered or timed out, so that the first client
     * already finds the healthy backends. Then accepts connections.
     *
     * @throws java.io.UncheckedIOException naming the address when one cannot be bound
     * @throws IllegalStateException when called twice or after {@link #close()}
     * @throws IllegalArgumentException when the registry's first snapshot is invalid (two backends of one
     *     name, a null entry); nothing is left running then. A later invalid snapshot is refused whole:
     *     counted as a fault, reported once, and the last good set of backends stays
     */
    public void start() {
        engine.start();
    }

    /**
     * The frontend addresses being listened on, in the order given, with real ports (a port 0 asked
     * for becomes the one the system chose).
     *
     * @return the bound addresses, one per {@code listen} call
     * @throws IllegalStateException before {@link #start()}
     */
    public List<InetSocketAddress> addresses() {
        return engine.addresses();
    }

    /**
     * A snapshot of the counters: each event loop contributes its own share, read on that loop, so
     * the figures include everything the loops had done when asked (see {@link BalancerStats}).
     * Cheap enough to call every second; waits at most about a second for busy loops. Thread-safe.
     *
     * @return the counters now
     */
    public BalancerStats stats() {
        return engine.stats();
    }

    /**
     * Writes a fresh {@link #stats()} snapshot to {@code out} in the Prometheus text exposition
     * format 0.0.4 ({@link #PROMETHEUS_CONTENT_TYPE}): the series {@code GET /metrics} serves, each
     * family with its {@code # HELP} and {@code # TYPE} lines, so that a host serves lb4j's figures on
     * its own metrics endpoint next to its own. With a {@link Builder#name(String) name}, every sample
     * carries {@code balancer="NAME"} as its first label. Any thread; it waits as {@link #stats()} does.
     *
     * @param out where the text goes, such as a servlet's writer or a {@code StringBuilder}
     * @throws IOException when {@code out} throws it
     */
    public void writePrometheus(Appendable out) throws IOException {
        Objects.requireNonNull(out, "out");
        out.append(engine.prometheus(engine.stats()));
    }

    /**
     * The address {@code GET /metrics} and {@code GET /stats} are served on, with the real port, or
     * {@code null} when {@link Builder#metricsAddress(InetSocketAddress)} was not set.
     *
     * @return the bound metrics address, or {@code null}
     * @throws IllegalStateException before {@link #start()}
     */
    public InetSocketAddress metricsAddress() {
        return engine.metricsAddress();
    }

    // ---- long-lived connections: handles, explain, paced drain, front-door health ----

    /**
     * Every connection relayed now, oldest first: client, backend, age, idle time, bytes each way and
     * the host's tag, each as a handle that can tag or close it. Each event loop lists its own
     * connections between two rounds of work, so forwarding never stops; waits at most 5 s for them.
     * Connections still connecting to a backend are not listed. Any thread but the balancer's own
     * (not from a {@link BalancerListener} callback).
     *
     * @return snapshots with handles, oldest first
     * @throws IllegalStateException before {@link #start()}, after {@link #close()}, or on an event loop
     */
    public List<Connection> connections() {
        return engine.connections(null);
    }

    /**
     * {@link #connections()} relayed to one backend.
     *
     * @param backend the backend, matched by {@link Backend#name() name}
     * @return snapshots with handles, oldest first
     * @throws IllegalStateException as {@link #connections()}
     */
    public List<Connection> connections(Backend backend) {
        return engine.connections(Objects.requireNonNull(backend, "backend").name());
    }

    /**
     * Why a connection from {@code client} would go where it goes: every backend in the policy's
     * order for that client (for the hash policies: the key's slot owner first, then its fallback
     * order), each with whether it would be used and why not — unhealthy since when and why, admin
     * state, draining, connection limit, beyond the connect attempts. The frontend is taken to be the
     * first listen address. Changes no state: a round-robin cursor is not advanced, so the backend
     * marked used is the one the next connection would get, unless something changes in between
     * (power of two draws at random: it shows one possible draw). Any thread; cheap, never blocks.
     * Also served as {@code GET /explain?client=IP:PORT} on the metrics address.
     *
     * @param client the client's IP address and port
     * @return the verdict on every configured backend
     * @throws IllegalArgumentException when {@code client} is unresolved
     * @throws IllegalStateException before {@link #start()} or after {@link #close()}
     */
    public Explanation explain(InetSocketAddress client) {
        return engine.explain(client);
    }

    /**
     * Paced drain of one backend, with FIN and a hard deadline equal to the window: see
     * {@link #drain(Backend, Duration, Duration, boolean)}.
     *
     * @param backend the backend, matched by {@link Backend#name() name}
     * @param window over how long its open connections are closed, more than zero
     * @return completes with the report once every connection of the backend is closed
     */
    public CompletionStage<DrainReport> drain(Backend backend, Duration window) {
        return drain(backend, window, window, false);
    }

    /**
     * Paced drain of one backend, for a deploy that replaces it without a reconnect storm: at once it
     * gets no new connections (it stays out of rotation while it is a member); then its open
     * connections are closed spread evenly over {@code window}, oldest first, each at a random moment
     * of its own share of the window (so one second never holds many more than its share); whatever
     * is still open at {@code deadline} (a loop that fell behind, a connection that opened while the
     * drain began) is closed then at once. Clients reconnect and land on the other backends at the
     * same steady rate. Returns at once; the work runs on the event loops' timers.
     *
     * @param backend the backend, matched by {@link Backend#name() name}
     * @param window over how long to spread the closes, more than zero
     * @param deadline the latest any connection of the backend stays open, measured from this call;
     *     at least {@code window}
     * @param reset {@code true} to close with RST (SO_LINGER 0) instead of FIN
     * @return completes with the report once every connection of the backend is closed
     * @throws IllegalArgumentException when the backend is not a member, or a duration is out of range
     * @throws IllegalStateException before {@link #start()} or after {@link #close()}
     */
    public CompletionStage<DrainReport> drain(Backend backend, Duration window, Duration deadline, boolean reset) {
        Durations.positive("window", window);
        Objects.requireNonNull(deadline, "deadline");
        if (deadline.compareTo(window) < 0) {
            throw new IllegalArgumentException("deadline: " + Durations.format(deadline)
                    + " (expected: >= window " + Durations.format(window) + ")");
        }
        return engine.drain(backend, window.toNanos(), deadline.toNanos(), reset);
    }

    /**
     * The address the front-door health endpoint listens on, with the real port, or {@code null}
     * when {@link Builder#frontHealth(InetSocketAddress)} was not set.
     *
     * @return the bound address, or {@code null}
     * @throws IllegalStateException before {@link #start()}
     */
    public InetSocketAddress frontHealthAddress() {
        return engine.frontHealthAddress();
    }

    /** How the front-door health endpoint answers ({@link Builder#frontHealthMode}). */
    public enum FrontHealthMode {
        /** {@code GET} answered with 200 while healthy, 503 otherwise. */
        HTTP,
        /** The listener is open only while healthy (a TCP probe's connect is refused otherwise). */
        TCP
    }

    /**
     * Graceful shutdown: stops accepting at once, lets open connections finish for up to the drain
     * timeout, then closes the rest and stops every thread. Returns when all is closed. Idempotent.
     * With {@link Builder#frontHealthGrace} the front-door health endpoint turns unhealthy first and
     * accepting goes on for the grace; with {@link Builder#drainPacing} open connections are closed
     * spread over the pacing window (oldest first) instead of being left to finish.
     */
    @Override
    public void close() {
        engine.close();
    }

    /**
     * Graceful shutdown as {@link #close()}, waiting at most {@code timeout} in all (front-door grace
     * and drain together) instead of the configured drain timeout; what is still open then is closed.
     * {@code close(Duration.ZERO)} is {@link #closeNow()}. Idempotent: after the first close, returns at
     * once.
     *
     * @param timeout the longest this call waits for open connections, at least zero
     * @throws IllegalArgumentException naming {@code close} when {@code timeout} is negative
     */
    public void close(Duration timeout) {
        Duration wait = Durations.nonNegative("close", timeout);
        // saturated, so that a deadline computed from it cannot overflow
        engine.close(wait.compareTo(Duration.ofDays(36_500)) > 0 ? Duration.ofDays(36_500).toNanos() : wait.toNanos());
    }

    /**
     * Closes everything at once: listeners, every open connection and every thread, without waiting
     * for connections to finish. Cuts short a {@link #close()} in progress (on another thread).
     * Idempotent.
     */
    public void closeNow() {
        engine.closeNow();
    }

    // ---- restart without refusing anyone ----

    /**
     * Hands the frontend addresses over to a successor and drains as {@link #close()} does: for a
     * restart (a deploy of the host application) in which no client is refused. Call it once the
     * successor, a balancer built with {@link Builder#reusePort(boolean) reusePort(true)} on the
     * same addresses in another process (or JVM), has returned from {@link #start()} (the CLI's
     * ready line): clients hashed to its listeners are then served, and clients keep being served
     * by it throughout.
     *
     * <p>In turn, each of this balancer's listeners is taken out of its selector, the clients queued
     * in its backlog are accepted (and relayed as usual), and it is closed at once, so new clients
     * reach only the successor. Linux resets handshakes still queued on a closing
     * {@code SO_REUSEPORT} listener unless {@code net.ipv4.tcp_migrate_req=1} (Linux 5.14+; then it
     * moves them to the successor); accepting the queue empty first leaves only the handshakes that
     * complete in the microseconds between the last {@code accept()} and the close. Then the open
     * connections are drained: left to finish for up to the {@link Builder#drainTimeout drain
     * timeout}, or closed spread over {@link Builder#drainPacing drain pacing} when set, the rest
     * closed at the end. The front-door health, metrics and admin listeners (shared the same way,
     * so a successor can bind them too) close at once, so probes and scrapes reach the successor.
     * Returns when everything is closed, like {@link #close()}; {@link #closeNow()} on another
     * thread cuts the drain short.
     *
     * <p>On Linux it first checks in {@code /proc/net/tcp} and {@code /proc/net/tcp6} that another
     * listener holds each frontend address, and refuses to stop accepting otherwise (elsewhere the
     * caller vouches for the successor).
     *
     * @throws IllegalStateException without {@code reusePort(true)}, when no successor listens on a
     *     frontend address (the balancer then goes on as before), before {@link #start()}, after
     *     {@link #close()}, on a second hand-over, or when called on an event loop
     */
    public void handOver() {
        engine.handOver(-1);
    }

    /**
     * As {@link #handOver()}, but the open connections are closed spread evenly over {@code drain},
     * oldest first (the paced drain of {@link Builder#drainPacing}), none left after it, whatever
     * the builder's drain settings: their clients reconnect to the successor as a steady stream
     * rather than a storm. Zero closes them at once.
     *
     * @param drain the window, zero or more
     * @throws IllegalArgumentException when {@code drain} is negative
     * @throws IllegalStateException as {@link #handOver()}
     */
    public void handOver(Duration drain) {
        engine.handOver(Durations.nonNegative("handOver drain", drain).toNanos());
    }

    /**
     * Collects settings; {@link #build()} checks the rules across them. Each setter rejects a bad
     * value at once with an {@link IllegalArgumentException} naming the setting.
     */
    public static final class Builder {
        private final List<InetSocketAddress> listen = new ArrayList<>();
        private final List<Backend> backends = new ArrayList<>();
        private BackendRegistry registry;
        private BalancingPolicy policy = BalancingPolicy.fiveTuple();
        private Duration slowStart;
        private HealthProbe probe = HealthProbe.tcp();
        private Duration probeInterval = Duration.ofSeconds(5);
        private Duration probeTimeout = Duration.ofSeconds(2);
        private int unhealthyThreshold = 2;
        private int healthyThreshold = 1;
        private int probePort;
        private Duration idleTimeout = Duration.ofMinutes(4);
        private boolean resetOnIdle;
        private Duration connectTimeout = Duration.ofSeconds(3);
        private int connectAttempts = 3;
        private int eventLoops = Runtime.getRuntime().availableProcessors();
        private Duration drainTimeout = Duration.ofSeconds(30);
        private BalancerListener listener = new BalancerListener() { };
        private ProxyProtocol proxyProtocol;
        private boolean acceptProxyProtocol;
        private final List<Cidr> acceptProxyFrom = new ArrayList<>();
        private int maxConnections;
        private int maxConnectionsPerClient;
        private final List<Cidr> allow = new ArrayList<>();
        private final List<Cidr> deny = new ArrayList<>();
        private InetSocketAddress metricsAddress;
        private boolean jmx = true;
        private HealthState initialHealth = Config.Health.DEFAULTS.initial();
        private int passiveFailureThreshold = Config.Health.DEFAULTS.passiveFailureThreshold();
        private boolean closeOnUnhealthy;
        private boolean panicMode;
        private Duration closeRemovedAfter;
        private boolean closeOnAdminDown = true;
        // long-lived connections
        private Duration drainPacing = Duration.ZERO;
        private InetSocketAddress frontHealth;
        private FrontHealthMode frontHealthMode;
        private Integer frontHealthMinBackends;
        private Duration frontHealthGrace;
        private Duration tcpKeepAlive = Duration.ofNanos(LongLivedSettings.DEFAULT_KEEPALIVE_IDLE_NS);
        // reconnect storms and rebalancing
        private int acceptRate;
        private int acceptBurst;
        private int backendConnectRate;
        private Duration rebalanceInterval = Duration.ZERO;
        private double rebalanceMaxSpread;
        private double rebalanceMaxShare;
        private boolean reusePort;
        // a queue when every backend is full
        private Duration queueTimeout = Duration.ZERO;
        private int maxQueued = 1000;

        private String name;

        private Builder() {
        }

        /**
         * Names this balancer, so that several in one JVM are told apart: its threads are called
         * {@code lb4j-NAME-loop-0}, {@code lb4j-NAME-control} and so on, its MBeans
         * {@code io.lb4j:type=Balancer,name="NAME"} (and {@code balancer="NAME"} in its backends'
         * names), and every sample of {@code GET /metrics} and {@link Balancer#writePrometheus(Appendable)}
         * carries {@code balancer="NAME"}. Default: none (threads {@code lb4j-loop-0}, MBeans named
         * after the first listen address, no {@code balancer} label).
         *
         * @param balancerName 1 to 64 letters, digits, {@code .}, {@code _} or {@code -}
         * @return this builder
         * @throws IllegalArgumentException naming {@code name} when it is not such a name
         */
        public Builder name(String balancerName) {
            Objects.requireNonNull(balancerName, "name");
            if (!balancerName.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("name: '" + balancerName
                        + "' (expected: 1 to 64 letters, digits, '.', '_' or '-')");
            }
            this.name = balancerName;
            return this;
        }

        /**
         * Adds a frontend address; port 0 picks a free port (see {@link Balancer#addresses()}).
         *
         * @param address an IP address and port; port 0 = any free port
         * @return this builder
         */
        public Builder listen(InetSocketAddress address) {
            Objects.requireNonNull(address, "listen");
            listen.add(address);
            return this;
        }

        /**
         * Adds a frontend address given as {@code HOST:PORT} or {@code [IPv6]:PORT}.
         *
         * @param hostPort such as {@code 0.0.0.0:8080} or {@code [::1]:8080}
         * @return this builder
         */
        public Builder listen(String hostPort) {
            return listen(AddressText.parse("listen", hostPort));
        }

        /**
         * Adds a backend to the fixed list.
         *
         * @param backend the backend
         * @return this builder
         */
        public Builder backend(Backend backend) {
            backends.add(Objects.requireNonNull(backend, "backend"));
            return this;
        }

        /**
         * Adds a backend given as {@code HOST:PORT}, weight 1.
         *
         * @param hostPort such as {@code 10.0.0.11:9000} or {@code [fd00::1]:9000}
         * @return this builder
         */
        public Builder backend(String hostPort) {
            return backend(Backend.parse(hostPort));
        }

        /**
         * Adds backends to the fixed list.
         *
         * @param list the backends, added in order
         * @return this builder
         */
        public Builder backends(List<Backend> list) {
            list.forEach(this::backend);
            return this;
        }

        /**
         * Takes backends from a registry instead of a fixed list.
         *
         * @param backendRegistry the source of membership snapshots
         * @return this builder
         */
        public Builder registry(BackendRegistry backendRegistry) {
            this.registry = Objects.requireNonNull(backendRegistry, "registry");
            return this;
        }

        /**
         * How a backend is chosen per connection. Default {@link BalancingPolicy#fiveTuple()}.
         *
         * @param balancingPolicy the policy
         * @return this builder
         */
        public Builder policy(BalancingPolicy balancingPolicy) {
            this.policy = Objects.requireNonNull(balancingPolicy, "policy");
            return this;
        }

        /**
         * Ramps a backend that turns healthy from 5% to its full share over {@code window}: the policy
         * given to {@link #policy} (before or after this) with {@link BalancingPolicy#withSlowStart}.
         * {@link #build()} refuses a policy that cannot ramp (the hash policies, among them the default
         * five-tuple). Default: off.
         *
         * @param window more than zero
         * @return this builder
         */
        public Builder slowStart(Duration window) {
            this.slowStart = Durations.positive("slowStart", window);
            return this;
        }

        /** The policy with its slow start, if any. */
        private BalancingPolicy rampedPolicy() {
            if (slowStart == null) {
                return policy;
            }
            try {
                return policy.withSlowStart(slowStart);
            } catch (UnsupportedOperationException e) {
                throw new IllegalArgumentException("slowStart: not supported with policy " + policy.name()
                        + " (expected: weighted-round-robin, least-connections or power-of-two)", e);
            }
        }

        /** How backends are checked. Default {@link HealthProbe#tcp()}; {@code null} turns probing
         * off, and every backend then counts as healthy.
         *
         * @param healthProbe the probe, or {@code null} for none
         * @return this builder
         */
        public Builder probe(HealthProbe healthProbe) {
            this.probe = healthProbe;
            return this;
        }

        /**
         * From the start of one probe of a backend to the start of the next (±10% jitter). Default 5 s.
         *
         * @param interval more than zero
         * @return this builder
         */
        public Builder probeInterval(Duration interval) {
            this.probeInterval = Durations.positive("probeInterval", interval);
            return this;
        }

        /**
         * A probe not answered by then has failed. Default 2 s.
         *
         * @param timeout more than zero; may equal or exceed the interval
         * @return this builder
         */
        public Builder probeTimeout(Duration timeout) {
            this.probeTimeout = Durations.positive("probeTimeout", timeout);
            return this;
        }

        /**
         * Consecutive failures that mark an up backend down. Default 2.
         *
         * @param failures 1 or more
         * @return this builder
         */
        public Builder unhealthyThreshold(int failures) {
            this.unhealthyThreshold = Config.atLeast("unhealthyThreshold", failures, 1);
            return this;
        }

        /**
         * Consecutive successes that mark a down backend up. Default 1.
         *
         * @param successes 1 or more
         * @return this builder
         */
        public Builder healthyThreshold(int successes) {
            this.healthyThreshold = Config.atLeast("healthyThreshold", successes, 1);
            return this;
        }

        /**
         * Probe this port of every backend instead of its traffic port; 0 (default) = traffic port.
         *
         * @param port 0–65535
         * @return this builder
         */
        public Builder probePort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("probePort: " + port + " (expected: 0-65535)");
            }
            this.probePort = port;
            return this;
        }

        /**
         * Close a connection pair after this long without a byte either way; zero = never. Default 4 min.
         *
         * @param timeout zero or more; zero = never
         * @return this builder
         */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = Durations.nonNegative("idleTimeout", timeout);
            return this;
        }

        /**
         * On idle timeout, reset (RST) both sides instead of closing with FIN. Default off.
         *
         * @param reset {@code true} for RST
         * @return this builder
         */
        public Builder resetOnIdle(boolean reset) {
            this.resetOnIdle = reset;
            return this;
        }

        /**
         * Limit for each backend connection attempt. Default 3 s.
         *
         * @param timeout more than zero
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Durations.positive("connectTimeout", timeout);
            return this;
        }

        /**
         * Backends tried for one client connection before it is closed, never one twice. Default 3.
         *
         * @param attempts 1 or more
         * @return this builder
         */
        public Builder connectAttempts(int attempts) {
            this.connectAttempts = Config.atLeast("connectAttempts", attempts, 1);
            return this;
        }

        /**
         * Event-loop threads. Default: the number of processors.
         *
         * @param loops 1–1024
         * @return this builder
         */
        public Builder eventLoops(int loops) {
            this.eventLoops = Config.atLeast("eventLoops", loops, 1);
            if (loops > 1024) {
                throw new IllegalArgumentException("eventLoops: " + loops + " (expected: 1-1024)");
            }
            return this;
        }

        /**
         * How long {@link Balancer#close()} lets open connections finish. Default 30 s; zero = none.
         *
         * @param timeout zero or more
         * @return this builder
         */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = Durations.nonNegative("drainTimeout", timeout);
            return this;
        }

        /**
         * Receives events; see {@link BalancerListener} for its threading contract.
         *
         * @param eventListener the listener
         * @return this builder
         */
        public Builder listener(BalancerListener eventListener) {
            this.listener = Objects.requireNonNull(eventListener, "listener");
            return this;
        }

        // ---- edge: PROXY protocol, limits, access control ----

        /**
         * Sends a PROXY protocol header of this version first on every backend connection, carrying
         * the client's address (the one its own header claimed, with {@link #acceptProxyProtocol}),
         * before any relayed byte. Default {@code null}: none. Backends must then expect the header;
         * the built-in health probes then open with a {@code LOCAL} header (v1 {@code PROXY UNKNOWN}),
         * as HAProxy's {@code check-send-proxy}, and a custom probe finds the version in
         * {@link HealthProbe.Target#proxyProtocol()}.
         *
         * @param version the header version, or {@code null} for none
         * @return this builder
         */
        public Builder proxyProtocol(ProxyProtocol version) {
            this.proxyProtocol = version;
            return this;
        }

        /**
         * Expects every client to open with a PROXY protocol header, v1 or v2 (detected by its
         * signature), as an upstream load balancer sends: the address it claims is the client address
         * policies hash on and statistics show. v2 {@code LOCAL} and v1 {@code UNKNOWN} are accepted (the
         * peer's own address stands). A client whose header is malformed, longer than the protocol
         * allows, or not complete within 3 s is closed and counted as rejected. Default off.
         *
         * @param accept whether every client must send a header first
         * @return this builder
         */
        public Builder acceptProxyProtocol(boolean accept) {
            this.acceptProxyProtocol = accept;
            return this;
        }

        /**
         * Adds a range of peers allowed to send a PROXY header (CIDR such as {@code 10.0.0.0/8} or
         * {@code fd00::/8}, or one address); with any given, other peers are closed at accept and
         * counted as rejected. Needs {@link #acceptProxyProtocol(boolean) acceptProxyProtocol(true)}.
         *
         * @param cidr a range such as {@code 10.0.0.0/8}; host bits after the prefix must be zero
         * @return this builder
         */
        public Builder acceptProxyFrom(String cidr) {
            acceptProxyFrom.add(Cidr.parse("acceptProxyFrom", cidr));
            return this;
        }

        /**
         * Client connections held at once over all frontends; while reached, accepting pauses (new
         * clients wait in the listen backlog) and resumes as connections close. Default 0: unlimited.
         *
         * @param connections zero or more; zero = unlimited
         * @return this builder
         */
        public Builder maxConnections(int connections) {
            this.maxConnections = Config.atLeast("maxConnections", connections, 0);
            return this;
        }

        /**
         * Client connections held at once from one TCP peer IP address; beyond it new ones are closed at
         * accept and counted as rejected. Default 0: unlimited.
         *
         * @param connections zero or more; zero = unlimited
         * @return this builder
         */
        public Builder maxConnectionsPerClient(int connections) {
            this.maxConnectionsPerClient = Config.atLeast("maxConnectionsPerClient", connections, 0);
            return this;
        }

        /**
         * Adds an allowed range of peers (CIDR, IPv4 or IPv6, or one address). With any given, a TCP
         * peer must match one of them (and no {@link #deny} range), else it is closed at accept, before
         * any byte is read, and counted as rejected. Default: every peer allowed.
         *
         * @param cidr a range such as {@code 10.0.0.0/8} or {@code fd00::/8}; host bits after the prefix must be zero
         * @return this builder
         */
        public Builder allow(String cidr) {
            allow.add(Cidr.parse("allow", cidr));
            return this;
        }

        /**
         * Adds a denied range of peers (CIDR, IPv4 or IPv6, or one address): a matching TCP peer is
         * closed at accept, before any byte is read, and counted as rejected. Deny wins over allow.
         *
         * @param cidr a range such as {@code 192.0.2.0/24}; host bits after the prefix must be zero
         * @return this builder
         */
        public Builder deny(String cidr) {
            deny.add(Cidr.parse("deny", cidr));
            return this;
        }

        /**
         * Serves {@code GET /metrics} (Prometheus text format 0.0.4) and {@code GET /stats} (JSON) over
         * HTTP/1.1 on this address, from one of the balancer's own event loops; port 0 picks a free
         * port (see {@link Balancer#metricsAddress()}). Default: off. The address is bound by
         * {@link Balancer#start()}, which fails when it is in use.
         *
         * @param address where to serve; port 0 for any free port
         * @return this builder
         */
        public Builder metricsAddress(InetSocketAddress address) {
            this.metricsAddress = Objects.requireNonNull(address, "metricsAddress");
            return this;
        }

        /**
         * {@link #metricsAddress(InetSocketAddress)} given as {@code HOST:PORT} or {@code [IPv6]:PORT}.
         *
         * @param hostPort where to serve
         * @return this builder
         * @throws IllegalArgumentException naming {@code metricsAddress} when it does not parse
         */
        public Builder metricsAddress(String hostPort) {
            return metricsAddress(AddressText.parse("metricsAddress", hostPort));
        }

        /**
         * Whether {@link Balancer#start()} registers JMX MBeans on the platform MBean server: {@code
         * io.lb4j:type=Balancer,name="ADDRESS"} and {@code io.lb4j:type=Backend,balancer="ADDRESS",
         * name="HOST:PORT"} per backend, where ADDRESS is the first frontend's bound {@code IP:PORT};
         * unregistered by {@link Balancer#close()}. Default: on. Where the JVM has a platform MBean
         * server already, {@code start()} registers them before it returns (a few milliseconds);
         * where it has none, creating one takes 150-200 ms, so they are registered in the background
         * right after {@code start()} returns. Nothing costs anything while running.
         *
         * @param enabled whether to register MBeans
         * @return this builder
         */
        public Builder jmx(boolean enabled) {
            this.jmx = enabled;
            return this;
        }

        // ---- long-lived connections ----

        /**
         * On {@link Balancer#close()} (and the CLI's SIGTERM), close open connections spread over this
         * window, oldest first with jitter, instead of waiting for them to finish: a deploy of
         * thousands of WebSocket clients turns into a steady stream of reconnects. Default zero: off
         * (connections are left to finish until the drain timeout).
         *
         * @param window zero or more, at most {@link #drainTimeout}; zero = off
         * @return this builder
         */
        public Builder drainPacing(Duration window) {
            this.drainPacing = Durations.nonNegative("drainPacing", window);
            return this;
        }

        /**
         * Serves a health endpoint for a load balancer in front of lb4j (Azure Load Balancer, an ECMP
         * router): healthy while lb4j accepts, is not draining, and at least
         * {@link #frontHealthMinBackends} backends are usable. Bound by {@link Balancer#start()};
         * port 0 picks a free port ({@link Balancer#frontHealthAddress()}). Default: off.
         *
         * @param address where to listen
         * @return this builder
         */
        public Builder frontHealth(InetSocketAddress address) {
            this.frontHealth = Objects.requireNonNull(address, "frontHealth");
            return this;
        }

        /**
         * {@link #frontHealth(InetSocketAddress)} given as {@code HOST:PORT} or {@code [IPv6]:PORT}.
         *
         * @param hostPort where to listen
         * @return this builder
         */
        public Builder frontHealth(String hostPort) {
            return frontHealth(AddressText.parse("frontHealth", hostPort));
        }

        /**
         * {@link FrontHealthMode#HTTP} (default): {@code GET} answered 200 or 503;
         * {@link FrontHealthMode#TCP}: the listener is open only while healthy. Needs
         * {@link #frontHealth(InetSocketAddress)}.
         *
         * @param mode the mode
         * @return this builder
         */
        public Builder frontHealthMode(FrontHealthMode mode) {
            this.frontHealthMode = Objects.requireNonNull(mode, "frontHealthMode");
            return this;
        }

        /**
         * Usable backends needed for the front-door endpoint to answer healthy (drain, down and
         * admin-down ones do not count). Default 1. Needs {@link #frontHealth(InetSocketAddress)}.
         *
         * @param backends zero or more
         * @return this builder
         */
        public Builder frontHealthMinBackends(int backends) {
            this.frontHealthMinBackends = Config.atLeast("frontHealthMinBackends", backends, 0);
            return this;
        }

        /**
         * On {@link Balancer#close()}: the front-door endpoint turns unhealthy at once, but accepting
         * goes on for this long before the drain starts, so the front balancer stops sending first
         * (set it to its probe interval times its unhealthy threshold). Default zero. Needs
         * {@link #frontHealth(InetSocketAddress)}.
         *
         * @param grace zero or more
         * @return this builder
         */
        public Builder frontHealthGrace(Duration grace) {
            this.frontHealthGrace = Durations.nonNegative("frontHealthGrace", grace);
            return this;
        }

        /**
         * TCP keepalive on both sockets of every relayed connection, with this idle time before the
         * first probe (then every 30 s, 4 probes), so that a NAT or a cloud load balancer on the way
         * does not forget an idle WebSocket. Default 2 minutes: below Azure Load Balancer's 4-minute
         * idle timeout. It is switched on once a connection has lasted one second, so short
         * connections skip its four system calls per socket; the first probe of a long one goes out
         * at most a second later than the idle time says. The idle time and interval need {@code jdk.net} support (Linux, macOS, Windows
         * 10+); elsewhere only {@code SO_KEEPALIVE} is set. Zero turns keepalive off.
         *
         * @param idle zero (off) or at least one second
         * @return this builder
         */
        public Builder tcpKeepAlive(Duration idle) {
            Durations.nonNegative("tcpKeepAlive", idle);
            if (!idle.isZero() && idle.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("tcpKeepAlive: " + Durations.format(idle)
                        + " (expected: 0 or >= 1s)");
            }
            this.tcpKeepAlive = idle;
            return this;
        }

        /**
         * Binds every listener with {@code SO_REUSEPORT}, so a successor (a new version of the host
         * application, or of the CLI) can bind the same addresses while this balancer runs, and
         * {@link Balancer#handOver()} can then pass the traffic to it without refusing a client.
         * It skips the check that otherwise protects a frontend address: without it, {@link #start()}
         * binds each address once without {@code SO_REUSEPORT} first, so an address another process
         * holds fails start instead of being shared. With it, a process of the same user that also
         * binds with {@code SO_REUSEPORT} shares the address silently (the kernel spreads new clients
         * over both). Each listen address needs a fixed port (a successor must know it). Linux
         * (3.9+) or another system with {@code SO_REUSEPORT}; elsewhere start fails. On Linux,
         * {@link #start()} logs one line saying what {@code net.ipv4.tcp_migrate_req} means for
         * restarts. Default: off.
         *
         * @param share whether to bind with {@code SO_REUSEPORT}
         * @return this builder
         */
        public Builder reusePort(boolean share) {
            this.reusePort = share;
            return this;
        }

        // ---- reconnect storms and rebalancing ----

        /**
         * Paces accepting to {@code perSecond} new client connections across all listeners, with
         * bursts of up to {@code burst} after a quiet spell (a token bucket, always on once set: it only
         * bites when connections arrive faster than the rate, as in the reconnect storm after a
         * backend fails or drains). While the bucket is empty accepting pauses and resumes when the
         * next token is due: clients wait in the kernel's listen backlog (1024), nobody is reset.
         * Default: off.
         *
         * @param perSecond 1 to 1,000,000 connections per second
         * @param burst 1 or more connections accepted at once
         * @return this builder
         */
        public Builder acceptRate(int perSecond, int burst) {
            Config.atLeast("acceptRate", perSecond, 1);
            if (perSecond > 1_000_000) {
                throw new IllegalArgumentException("acceptRate: " + perSecond + " (expected: <= 1000000)");
            }
            this.acceptRate = perSecond;
            this.acceptBurst = Config.atLeast("acceptRate burst", burst, 1);
            return this;
        }

        /**
         * Paces new connections to each backend to {@code perSecond} (bursts of one second's worth): a
         * backend whose bucket is empty is skipped like one at its connection limit, so the policy's
         * fallback order takes the next; a client whose every candidate is skipped is closed as with
         * no usable backend. It keeps a backend that just came back, or the survivors of a failure,
         * from taking a whole storm at once. Default 0: off.
         *
         * @param perSecond 0 (off) to 1,000,000 connections per second
         * @return this builder
         */
        public Builder backendConnectRate(int perSecond) {
            Config.atLeast("backendConnectRate", perSecond, 0);
            if (perSecond > 1_000_000) {
                throw new IllegalArgumentException("backendConnectRate: " + perSecond + " (expected: <= 1000000)");
            }
            this.backendConnectRate = perSecond;
            return this;
        }

        /**
         * How long a client may wait for a connection slot when every backend the policy chose for it
         * (its first choice and the fallbacks, up to {@link #connectAttempts}) is usable but at its
         * {@link Backend#maxConnections()} (HAProxy's queue). Waiting clients are served in the order
         * they started to wait, over all event loops: a slot given back goes to the oldest waiter that
         * may use that backend, and a newcomer waits behind them while anyone waits. A client still
         * waiting after {@code timeout} is closed (reason {@code "no backend slot within the queue
         * timeout"}, counted as unserved, {@code queue-timeout}). While it waits it holds no buffer and
         * nothing is read from it; bytes it sends wait in its socket. Default 0: no queue, such a client
         * is closed at once.
         *
         * @param timeout zero (off) or more
         * @return this builder
         */
        public Builder queueTimeout(Duration timeout) {
            this.queueTimeout = Durations.nonNegative("queueTimeout", timeout);
            return this;
        }

        /**
         * Clients waiting at once in the queue of {@link #queueTimeout(Duration)}; beyond it new ones
         * are closed at once (counted as unserved, {@code backend-full}). Keeps memory bounded: a
         * waiter costs its accepted socket and about a hundred bytes. Default 1000.
         *
         * @param clients 1 or more
         * @return this builder
         */
        public Builder maxQueued(int clients) {
            this.maxQueued = Config.atLeast("maxQueued", clients, 1);
            return this;
        }

        /**
         * Rebalances long-lived connections after a scale-out: every {@code interval}, when the spread
         * of active connections across usable backends (max / mean - 1, weight-adjusted) exceeds
         * {@code maxSpread}, closes the oldest connections of the backends above the mean, round
         * after round until the spread is down to half of {@code maxSpread}, so their clients
         * reconnect and land on the emptier backends. Never more than {@code maxSharePerMinute} of a
         * backend's connections (counted when its minute starts) in one minute, spread evenly over the
         * minute's rounds. Each move costs a client a reconnect. Default: off.
         *
         * @param interval how often to check, 10 ms or more
         * @param maxSpread the spread tolerated, above 0 (0.2 = the busiest may hold 20% over the mean)
         * @param maxSharePerMinute the share of a backend's connections movable per minute, above 0, at most 1
         * @return this builder
         */
        public Builder rebalance(Duration interval, double maxSpread, double maxSharePerMinute) {
            Durations.nonNegative("rebalance interval", interval);
            if (interval.compareTo(Duration.ofMillis(10)) < 0) {
                throw new IllegalArgumentException("rebalance interval: " + Durations.format(interval)
                        + " (expected: >= 10ms)");
            }
            if (!(maxSpread > 0) || Double.isInfinite(maxSpread)) {
                throw new IllegalArgumentException("rebalance maxSpread: " + maxSpread + " (expected: > 0)");
            }
            if (!(maxSharePerMinute > 0 && maxSharePerMinute <= 1)) {
                throw new IllegalArgumentException("rebalance maxSharePerMinute: " + maxSharePerMinute
                        + " (expected: > 0 and <= 1)");
            }
            this.rebalanceInterval = interval;
            this.rebalanceMaxSpread = maxSpread;
            this.rebalanceMaxShare = maxSharePerMinute;
            return this;
        }

        /**
         * The health of a probed backend that has not been probed yet (at start, and when it joins
         * later). Default {@link HealthState#UNKNOWN}: no connections until its first probe, which
         * decides at once (pass: up, failure or timeout: down), so a new backend gets no client before
         * it is ready. {@link HealthState#UP}: takes connections at once; {@code unhealthyThreshold}
         * failures mark it down. {@link HealthState#DOWN}: no connections until it passes
         * {@code healthyThreshold} probes in a row. Without a probe every backend is up regardless.
         *
         * @param state {@code UNKNOWN}, {@code UP} or {@code DOWN}
         * @return this builder
         */
        public Builder initialHealth(HealthState state) {
            this.initialHealth = Objects.requireNonNull(state, "initialHealth");
            return this;
        }

        /**
         * Passive health: this many failed connects in a row (refused or timed out) of client
         * connections to one backend mark it down at once, before its next probe; the probe brings it
         * back ({@code healthyThreshold} passes). A successful connect restarts the count. Default 5;
         * 0 = off. Always off without a probe (nothing would bring the backend back).
         *
         * @param failures consecutive failed connects, >= 0
         * @return this builder
         */
        public Builder passiveFailureThreshold(int failures) {
            this.passiveFailureThreshold = Config.atLeast("passiveFailureThreshold", failures, 0);
            return this;
        }

        /**
         * Whether open connections to a backend are closed when it turns unhealthy. Default
         * {@code false} (Azure's behaviour): they keep running, only new connections avoid it, since
         * a failed probe does not mean every open session is broken.
         *
         * @param close whether to close them
         * @return this builder
         */
        public Builder closeOnUnhealthy(boolean close) {
            this.closeOnUnhealthy = close;
            return this;
        }

        /**
         * What happens when no backend is healthy. Default {@code false}: a new client connection is
         * closed at once, a fast and clear failure the client (or a balancer in front) can act on,
         * where a backend that failed its probes would most likely fail it slowly. {@code true}:
         * "panic mode" (Envoy's): health is ignored while no admin-up backend is healthy, and
         * connections go to every admin-up backend, for when the probes themselves may be wrong.
         *
         * @param panic whether to send to every backend when none is healthy
         * @return this builder
         */
        public Builder panicMode(boolean panic) {
            this.panicMode = panic;
            return this;
        }

        /**
         * Closes the open connections to a backend the registry removed once {@code grace} has
         * passed since its removal; zero closes them at once. Default: never — they run until they
         * end (a removed backend only stops getting new connections).
         *
         * @param grace zero or more
         * @return this builder
         */
        public Builder closeRemovedAfter(Duration grace) {
            this.closeRemovedAfter = Durations.nonNegative("closeRemovedAfter", grace);
            return this;
        }

        /**
         * Whether setting a backend's admin state to {@link Backend.AdminState#DOWN} closes its open
         * connections at once. Default {@code true}; with {@code false}, {@code DOWN} only stops new
         * connections and probes. ({@link Backend.AdminState#DRAIN} never closes anything.)
         *
         * @param close whether {@code DOWN} closes open connections
         * @return this builder
         */
        public Builder closeOnAdminDown(boolean close) {
            this.closeOnAdminDown = close;
            return this;
        }

        /**
         * Checks the rules across settings and returns an unstarted balancer.
         *
         * @return a balancer, not yet started
         * @throws IllegalArgumentException naming the setting when a rule is broken
         */
        public Balancer build() {
            if (listen.isEmpty()) {
                throw new IllegalArgumentException("listen: none given (expected: at least one frontend address)");
            }
            if (registry != null && !backends.isEmpty()) {
                throw new IllegalArgumentException(
                        "registry: given together with backend(...) (expected: one source of backends)");
            }
            if (registry == null && backends.isEmpty()) {
                throw new IllegalArgumentException("backends: none given (expected: backend(...) or registry(...))");
            }
            // refuses a backend given twice
            BackendRegistry source = registry != null ? registry : BackendRegistry.fixed(backends);
            if (!acceptProxyFrom.isEmpty() && !acceptProxyProtocol) {
                throw new IllegalArgumentException(
                        "acceptProxyFrom: given without acceptProxyProtocol(true) (expected: both or neither)");
            }
            if (drainPacing.compareTo(drainTimeout) > 0) {
                throw new IllegalArgumentException("drainPacing: " + Durations.format(drainPacing)
                        + " (expected: <= drainTimeout " + Durations.format(drainTimeout) + ")");
            }
            if (frontHealth == null && (frontHealthMode != null || frontHealthMinBackends != null
                    || frontHealthGrace != null)) {
                throw new IllegalArgumentException((frontHealthMode != null ? "frontHealthMode"
                        : frontHealthMinBackends != null ? "frontHealthMinBackends" : "frontHealthGrace")
                        + ": given without frontHealth (expected: an address)");
            }
            if (reusePort) {
                for (InetSocketAddress address : listen) {
                    if (address.getPort() == 0) {
                        throw new IllegalArgumentException("reusePort: listen address "
                                + AddressText.format(address) + " has port 0 (expected: a fixed port, "
                                + "which a successor can bind too)");
                    }
                }
            }
            LongLivedSettings longLived = new LongLivedSettings(drainPacing.toNanos(), frontHealth,
                    frontHealthMode == FrontHealthMode.TCP, frontHealthMinBackends == null ? 1 : frontHealthMinBackends,
                    frontHealthGrace == null ? 0 : frontHealthGrace.toNanos(), tcpKeepAlive.toNanos(),
                    new Pacing(acceptRate, acceptBurst, backendConnectRate,
                            rebalanceInterval.toNanos(), rebalanceMaxSpread, rebalanceMaxShare,
                            queueTimeout.toNanos(), maxQueued), reusePort);
            Edge edge = new Edge(proxyProtocol, acceptProxyProtocol, acceptProxyFrom, maxConnections,
                    maxConnectionsPerClient, allow, deny);
            Config.Probing probing = new Config.Probing(probe, probeInterval.toNanos(), probeTimeout.toNanos(),
                    unhealthyThreshold, healthyThreshold, probePort);
            Config.Health health = new Config.Health(initialHealth, passiveFailureThreshold, panicMode,
                    closeOnUnhealthy, closeOnAdminDown, closeRemovedAfter == null ? -1 : closeRemovedAfter.toNanos());
            Config.Relaying relaying = new Config.Relaying(eventLoops, idleTimeout.toNanos(), resetOnIdle,
                    connectTimeout.toNanos(), connectAttempts, drainTimeout.toNanos());
            return new Balancer(new Config(List.copyOf(listen), source, rampedPolicy(), probing, health, relaying, edge,
                    new Config.Operations(metricsAddress, jmx, listener), longLived), name);
        }
    }
}
