package io.lb4j.internal.cli;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeTls;
import io.lb4j.ProxyProtocol;
import io.lb4j.internal.AddressText;
import io.lb4j.internal.Cidr;
import io.lb4j.HealthState;
import io.lb4j.internal.Config;
import io.lb4j.internal.Durations;
import io.lb4j.internal.registry.AdminOverrides;
import io.lb4j.internal.probe.HttpProbe;
import io.lb4j.internal.probe.TlsClient;
import io.lb4j.internal.registry.CompositeRegistry;
import io.lb4j.internal.registry.FileRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The command line of the CLI contract, parsed into builder settings. Every error names the option
 * and what is wrong, in one line.
 */
final class Options {
    static final String HELP = String.join("\n",
            "Usage: java -jar lb4j-core.jar --listen HOST:PORT --backend HOST:PORT [options]",
            "",
            "An embeddable Layer-4 (TCP) load balancer, run on its own. WebSocket and any TCP pass through.",
            "",
            "  --listen HOST:PORT             frontend address; repeatable; [::1]:PORT for IPv6 (required)",
            "  --backend HOST:PORT[,weight=N][,max-connections=N]",
            "                                 a backend; repeatable; weight 1-1000 (default 1)",
            "  --backends-file PATH           one HOST:PORT [weight=N] [max-connections=N] [state=up|down|drain]",
            "                                 a line, # comments; re-read on change (within 2s); a bad line is",
            "                                 reported as PATH:LINE: reason and the last good set kept;",
            "                                 state=drain deadline=D closes the backend's connections spread",
            "                                 over D, none left after it",
            "  --backends-dns NAME:PORT       A/AAAA records of NAME with PORT, re-resolved at TTL expiry (>= 1s)",
            "  --backends-srv NAME            SRV records of NAME (lowest priority; weight 0 counts as 1)",
            "  --dns-server HOST:PORT         resolver for the two above (default: the nameservers of",
            "                                 /etc/resolv.conf in order; its search list and options apply)",
            "                                 Backend sources combine: their union is the pool (the first",
            "                                 source listing a HOST:PORT wins); at least one is required.",
            "  --policy NAME                  round-robin, weighted-round-robin, least-connections, power-of-two,",
            "                                 five-tuple, source-ip, source-ip-protocol (default five-tuple)",
            "  --slow-start D                 ramp a backend that turns healthy from 5% to its full share over D",
            "                                 (weighted-round-robin, least-connections, power-of-two; default off)",
            "  --probe SPEC                   tcp, http:/PATH (2xx is healthy), websocket:/PATH (101 with the",
            "                                 right Sec-WebSocket-Accept is healthy), https:/PATH and wss:/PATH",
            "                                 (the same over TLS, certificate verified against the JDK's trust",
            "                                 store and the backend's host) or none (default tcp)",
            "  --probe-ca PATH                PEM or PKCS#12 file of certificates the TLS probes trust instead",
            "                                 of the JDK's store",
            "  --probe-sni NAME               server name the TLS probes send and verify (default: the",
            "                                 backend's host when it is a name)",
            "  --probe-insecure               TLS probes accept any certificate (default off)",
            "  --probe-client-cert PATH       PEM certificate chain the TLS probes present to backends that",
            "                                 require mutual TLS; with --probe-client-key",
            "  --probe-client-key PATH        its private key, PEM, unencrypted PKCS#8 (BEGIN PRIVATE KEY)",
            "  --probe-port N                 probe this port instead of the backend's own",
            "  --probe-interval D             start to start, +-10% jitter (default 5s)",
            "  --probe-timeout D              (default 2s)",
            "  --unhealthy-threshold N        consecutive failures that mark a backend down (default 2)",
            "  --healthy-threshold N          consecutive successes that mark it up (default 1)",
            "  --initial-health STATE         before a backend's first probe: unknown (no traffic, the first",
            "                                 probe decides), up, or down (needs the healthy threshold)",
            "                                 (default unknown)",
            "  --passive-failure-threshold N  failed client connects in a row that mark a backend down before",
            "                                 its probe does; 0 = off (default 5)",
            "  --close-on-unhealthy           close open connections of a backend that turns unhealthy",
            "                                 (default: they keep running)",
            "  --panic-mode                   when no backend is healthy, send to all of them anyway",
            "                                 (default: close new client connections at once)",
            "  --idle-timeout D               close a pair idle this long; 0 = never (default 4m)",
            "  --tcp-reset-on-idle            reset (RST) instead of FIN on idle timeout",
            "  --connect-timeout D            per backend connection attempt (default 3s)",
            "  --connect-attempts N           backends tried per client connection (default 3)",
            "  --threads N                    event-loop threads (default: number of processors)",
            "  --drain-timeout D              on SIGTERM/SIGINT, let connections finish this long (default 30s)",
            "  --max-connections N            client connections held at once; beyond it accepting pauses",
            "                                 (default 0 = unlimited)",
            "  --queue-timeout D              a client arriving while every usable backend is at its",
            "                                 max-connections waits, in arrival order, up to D for a slot, then",
            "                                 is closed; 0 = closed at once (default 0)",
            "  --max-queued N                 clients waiting at once; beyond it new ones are closed at once",
            "                                 (default 1000)",
            "  --max-connections-per-client N",
            "                                 connections held at once from one peer IP; beyond it new ones",
            "                                 are closed and counted (default 0 = unlimited)",
            "  --allow CIDR, --deny CIDR      repeatable; a peer must match an allow range (when any is",
            "                                 given) and no deny range, else it is closed at accept",
            "  --proxy-protocol v1|v2         send a PROXY protocol header to each backend",
            "  --accept-proxy-protocol        expect a PROXY protocol v1 or v2 header from each client",
            "                                 (lb4j behind another balancer); none valid within 3s: closed",
            "  --accept-proxy-from CIDR       repeatable: only these peers may send a PROXY header",
            "  --metrics HOST:PORT            serve GET /metrics (Prometheus text) and GET /stats (JSON)",
            "  --access-log                   one line per closed connection on standard output: time, client,",
            "                                 backend, duration, bytes to backend, bytes to client, reason",
            "  --front-health HOST:PORT       health endpoint for a balancer in front of lb4j: GET / answers 200",
            "                                 while accepting with enough backends up, 503 otherwise and from",
            "                                 the moment a drain starts",
            "  --front-health-mode http|tcp   tcp: the listener is open only while healthy (default http)",
            "  --front-health-min-backends N  usable backends needed to be healthy (default 1)",
            "  --front-health-grace D         on SIGTERM/SIGINT, unhealthy at once but accept for D before the",
            "                                 drain starts (default 0)",
            "  --drain-pacing D               on SIGTERM/SIGINT, close open connections spread over D, oldest",
            "                                 first, instead of waiting for them (at most --drain-timeout;",
            "                                 default 0 = off)",
            "  --tcp-keepalive D              TCP keepalive idle time on both sides of each connection;",
            "                                 0 = off (default 2m, below Azure's 4-minute idle timeout)",
            "  --accept-rate N[,burst=M]      accept at most N new connections per second, bursts of M (default",
            "                                 M = N); beyond it accepting pauses and clients wait in the backlog",
            "                                 (default off)",
            "  --backend-connect-rate N       at most N new connections per second to each backend; a spent",
            "                                 backend is skipped for the next in the policy's order (default off)",
            "  --rebalance [interval=D,spread=F,rate=F]",
            "                                 after a scale-out, close the oldest connections of the busiest",
            "                                 backends so clients reconnect elsewhere: checked every interval",
            "                                 (default 1s), when the spread is above spread (default 0.2 = 20%),",
            "                                 at most rate of a backend's connections per minute (default 0.1)",
            "  --admin HOST:PORT              run-time admin API (HTTP + JSON): backends, their state and",
            "                                 weight, paced drains, connections, rebalance, explain (default off)",
            "  --admin-token-file PATH        first line: the token every admin request must carry as",
            "                                 Authorization: Bearer TOKEN; required unless --admin is loopback",
            "  --reuse-port                   bind the listeners with SO_REUSEPORT, so a successor can bind the",
            "                                 same addresses while this one runs (no check that the address is",
            "                                 free); SIGUSR2 then hands over: stop accepting once the queued",
            "                                 clients are taken, and drain as on SIGTERM (needs fixed ports)",
            "  --help, --version              print and exit",
            "",
            "Durations: 0 or a positive integer with ms, s, m or h (250ms, 5s, 4m, 1h).",
            "") + "\n";

    /**
     * Options of the contract (CLI.md, "Additions (second round)") that are not built yet: refused with
     * exit 2 and "not supported yet" until then. Remove a name here when its row is added.
     */
    private static final Set<String> LATER = Set.of();
    private static final Set<String> FLAGS = Set.of("--tcp-reset-on-idle", "--help", "--version",
            "--accept-proxy-protocol", "--access-log", "--close-on-unhealthy", "--panic-mode",
            "--probe-insecure",
            "--reuse-port");

    private final List<InetSocketAddress> listen = new ArrayList<>();
    private final List<Backend> backends = new ArrayList<>();
    private BalancingPolicy policy;
    private Duration slowStart;
    private HealthProbe probe = HealthProbe.tcp();
    /** {@code https:} or {@code wss:} with its path, built once the TLS options are all read. */
    private String[] tlsProbe;
    private Path probeCa;
    private String probeSni;
    private boolean probeInsecure;
    private Path probeClientCert;
    private Path probeClientKey;
    private Duration probeInterval;
    private Duration probeTimeout;
    private Integer unhealthyThreshold;
    private Integer healthyThreshold;
    private Integer probePort;
    private Duration idleTimeout;
    private boolean resetOnIdle;
    private Duration connectTimeout;
    private Integer connectAttempts;
    private Integer threads;
    private Duration drainTimeout;
    private InetSocketAddress metrics;
    private boolean accessLog;
    private final List<Path> backendFiles = new ArrayList<>();
    private final List<String[]> backendDns = new ArrayList<>();
    private final List<String> backendSrv = new ArrayList<>();
    private InetSocketAddress dnsServer;
    private boolean help;
    private boolean version;
    private ProxyProtocol proxyProtocol;
    private boolean acceptProxyProtocol;
    private final List<String> acceptProxyFrom = new ArrayList<>();
    private Integer maxConnections;
    private Integer maxConnectionsPerClient;
    private Duration queueTimeout;
    private Integer maxQueued;
    private final List<String> allow = new ArrayList<>();
    private final List<String> deny = new ArrayList<>();
    private HealthState initialHealth;
    private Integer passiveFailureThreshold;
    private boolean closeOnUnhealthy;
    private boolean panicMode;
    // long-lived connections
    private InetSocketAddress frontHealth;
    private Balancer.FrontHealthMode frontHealthMode;
    private Integer frontHealthMinBackends;
    private Duration frontHealthGrace;
    private Duration drainPacing;
    private int acceptRate;
    private int acceptBurst;
    private int backendConnectRate;
    private boolean rebalance;
    private Duration rebalanceInterval = Duration.ofSeconds(1);
    private double rebalanceSpread = 0.2;
    private double rebalanceRate = 0.1;
    private Duration tcpKeepAlive;
    // run-time admin API
    private InetSocketAddress admin;
    private Path adminTokenFile;
    private String adminToken;
    private AdminOverrides overrides;
    private boolean reusePort;

    boolean help() {
        return help;
    }

    boolean version() {
        return version;
    }

    boolean accessLog() {
        return accessLog;
    }

    /** The admin API's address, or {@code null} when off. */
    InetSocketAddress admin() {
        return admin;
    }

    /** The admin token, or {@code null} for none; never printed. */
    String adminToken() {
        return adminToken;
    }

    /** The registry the admin API changes, set by {@link #toBuilder()} when the admin API is on. */
    AdminOverrides overrides() {
        return overrides;
    }

    Duration rebalanceInterval() {
        return rebalanceInterval;
    }

    double rebalanceSpread() {
        return rebalanceSpread;
    }

    double rebalanceRate() {
        return rebalanceRate;
    }

    boolean reusePort() {
        return reusePort;
    }

    static Options parse(String... args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!name.startsWith("--")) {
                throw new IllegalArgumentException(arg + ": unexpected argument (options start with --; see --help)");
            }
            if (LATER.contains(name)) {
                throw new IllegalArgumentException(name + ": not supported yet");
            }
            if (name.equals("--rebalance")) {
                // a flag with optional parameters: the next argument is its value unless it is an option
                if (value == null && i + 1 < args.length && !args[i + 1].startsWith("--")) {
                    value = args[++i];
                }
                o.rebalance(value);
                continue;
            }
            if (FLAGS.contains(name)) {
                if (value != null) {
                    throw new IllegalArgumentException(name + ": takes no value");
                }
                o.flag(name);
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + ": missing value");
                }
                value = args[++i];
            }
            o.option(name, value);
        }
        if (o.help || o.version) {
            return o;
        }
        if (o.listen.isEmpty()) {
            throw new IllegalArgumentException("--listen: required (at least one frontend HOST:PORT)");
        }
        if (o.backends.isEmpty() && o.backendFiles.isEmpty() && o.backendDns.isEmpty() && o.backendSrv.isEmpty()) {
            throw new IllegalArgumentException("--backend: required (at least one backend source: --backend, "
                    + "--backends-file, --backends-dns or --backends-srv)");
        }
        if (!o.acceptProxyFrom.isEmpty() && !o.acceptProxyProtocol) {
            throw new IllegalArgumentException("--accept-proxy-from: given without --accept-proxy-protocol");
        }
        if (o.frontHealth == null) {
            String orphan = o.frontHealthMode != null ? "--front-health-mode"
                    : o.frontHealthMinBackends != null ? "--front-health-min-backends"
                    : o.frontHealthGrace != null ? "--front-health-grace" : null;
            if (orphan != null) {
                throw new IllegalArgumentException(orphan + ": given without --front-health");
            }
        }
        if (o.adminTokenFile != null && o.admin == null) {
            throw new IllegalArgumentException("--admin-token-file: given without --admin");
        }
        if (o.admin != null && o.adminToken == null && !loopback(o.admin)) {
            throw new IllegalArgumentException("--admin-token-file: required when --admin is not a loopback address ("
                    + o.admin.getHostString() + ":" + o.admin.getPort() + " is not; every request then needs "
                    + "Authorization: Bearer TOKEN)");
        }
        if (o.drainPacing != null) {
            Duration timeout = o.drainTimeout != null ? o.drainTimeout : Duration.ofSeconds(30);
            if (o.drainPacing.compareTo(timeout) > 0) {
                throw new IllegalArgumentException("--drain-pacing: " + Durations.format(o.drainPacing)
                        + " (expected: at most --drain-timeout, " + Durations.format(timeout) + ")");
            }
        }
        o.buildTlsProbe();
        if (o.reusePort) {
            for (InetSocketAddress address : o.listen) {
                if (address.getPort() == 0) {
                    throw new IllegalArgumentException("--reuse-port: --listen " + AddressText.format(address)
                            + " has port 0 (expected: a fixed port, which a successor can bind too)");
                }
            }
        }
        if (o.slowStart != null) {
            BalancingPolicy base = o.policy != null ? o.policy : BalancingPolicy.fiveTuple();
            try {
                o.policy = base.withSlowStart(o.slowStart);
            } catch (UnsupportedOperationException e) {
                throw new IllegalArgumentException("--slow-start: not supported with --policy " + base.name()
                        + " (expected: weighted-round-robin, least-connections or power-of-two)");
            }
        }
        return o;
    }

    private void flag(String name) {
        switch (name) {
            case "--help": help = true; break;
            case "--version": version = true; break;
            case "--tcp-reset-on-idle": resetOnIdle = true; break;
            case "--accept-proxy-protocol": acceptProxyProtocol = true; break;
            case "--access-log": accessLog = true; break;
            case "--close-on-unhealthy": closeOnUnhealthy = true; break;
            case "--panic-mode": panicMode = true; break;
            case "--probe-insecure": probeInsecure = true; break;
            case "--reuse-port": reusePort = true; break;
            default: throw new IllegalArgumentException(name + ": not supported yet");
        }
    }

    private void option(String name, String value) {
        switch (name) {
            case "--listen":
                listen.add(wrap(name, () -> Config.parseAddress(name, value)));
                break;
            case "--backend":
                Backend given = backend(value);
                for (Backend earlier : backends) {
                    if (earlier.name().equals(given.name())) {
                        throw new IllegalArgumentException("--backend: '" + given.name()
                                + "' given twice (expected: each backend once)");
                    }
                }
                backends.add(given);
                break;
            case "--policy":
                policy = policy(value);
                break;
            case "--slow-start":
                slowStart = duration(name, value, false);
                break;
            case "--probe":
                tlsProbe = tlsProbe(value);
                probe = tlsProbe != null ? null : probe(value);
                break;
            case "--probe-ca":
                probeCa = Path.of(value);
                wrap(name, () -> TlsClient.readTrusted(probeCa, null)); // a missing or bad file is exit 2
                break;
            case "--probe-sni":
                probeSni = TlsClient.checkServerName(name, value);
                break;
            case "--probe-client-cert":
                probeClientCert = Path.of(value);
                wrap(name, () -> TlsClient.readTrusted(probeClientCert, null));
                break;
            case "--probe-client-key":
                probeClientKey = Path.of(value);
                break;
            case "--probe-port":
                probePort = integer(name, value, 1, 65535);
                break;
            case "--probe-interval":
                probeInterval = duration(name, value, false);
                break;
            case "--probe-timeout":
                probeTimeout = duration(name, value, false);
                break;
            case "--unhealthy-threshold":
                unhealthyThreshold = integer(name, value, 1, 1_000_000);
                break;
            case "--healthy-threshold":
                healthyThreshold = integer(name, value, 1, 1_000_000);
                break;
            case "--idle-timeout":
                idleTimeout = duration(name, value, true);
                break;
            case "--connect-timeout":
                connectTimeout = duration(name, value, false);
                break;
            case "--connect-attempts":
                connectAttempts = integer(name, value, 1, 1000);
                break;
            case "--threads":
                threads = integer(name, value, 1, 1024);
                break;
            case "--drain-timeout":
                drainTimeout = duration(name, value, true);
                break;
            case "--max-connections":
                maxConnections = integer(name, value, 0, Integer.MAX_VALUE);
                break;
            case "--max-connections-per-client":
                maxConnectionsPerClient = integer(name, value, 0, Integer.MAX_VALUE);
                break;
            case "--queue-timeout":
                queueTimeout = duration(name, value, true);
                break;
            case "--max-queued":
                maxQueued = integer(name, value, 1, 1_000_000);
                break;
            case "--allow":
                Cidr.parse(name, value);
                allow.add(value);
                break;
            case "--deny":
                Cidr.parse(name, value);
                deny.add(value);
                break;
            case "--accept-proxy-from":
                Cidr.parse(name, value);
                acceptProxyFrom.add(value);
                break;
            case "--proxy-protocol":
                if (value.equals("v1")) {
                    proxyProtocol = ProxyProtocol.V1;
                } else if (value.equals("v2")) {
                    proxyProtocol = ProxyProtocol.V2;
                } else {
                    throw new IllegalArgumentException(name + ": '" + value + "' (expected: v1 or v2)");
                }
                break;
            case "--metrics":
                metrics = wrap(name, () -> Config.parseAddress(name, value));
                break;
            case "--initial-health":
                initialHealth = initialHealth(value);
                break;
            case "--passive-failure-threshold":
                passiveFailureThreshold = integer(name, value, 0, 1_000_000);
                break;
            // backend sources (registries); they combine with --backend
            case "--backends-file":
                backendFiles.add(backendsFile(value));
                break;
            case "--backends-dns":
                backendDns.add(dnsNamePort(value));
                break;
            case "--backends-srv":
                backendSrv.add(wrap(name, () -> {
                    BackendRegistry.dnsSrv(value); // checks the name
                    return value;
                }));
                break;
            case "--dns-server":
                dnsServer = dnsServer(value);
                break;
            case "--front-health":
                frontHealth = wrap(name, () -> Config.parseAddress(name, value));
                break;
            case "--front-health-mode":
                if (value.equals("http")) {
                    frontHealthMode = Balancer.FrontHealthMode.HTTP;
                } else if (value.equals("tcp")) {
                    frontHealthMode = Balancer.FrontHealthMode.TCP;
                } else {
                    throw new IllegalArgumentException(name + ": '" + value + "' (expected: http or tcp)");
                }
                break;
            case "--front-health-min-backends":
                frontHealthMinBackends = integer(name, value, 0, 1_000_000);
                break;
            case "--front-health-grace":
                frontHealthGrace = duration(name, value, true);
                break;
            case "--drain-pacing":
                drainPacing = duration(name, value, true);
                break;
            case "--accept-rate": {
                int comma = value.indexOf(',');
                acceptRate = integer(name, comma < 0 ? value : value.substring(0, comma), 1, 1_000_000);
                acceptBurst = acceptRate;
                if (comma >= 0) {
                    String rest = value.substring(comma + 1);
                    if (!rest.startsWith("burst=")) {
                        throw new IllegalArgumentException(name + ": '" + value + "' (expected: N or N,burst=M)");
                    }
                    acceptBurst = integer(name, rest.substring("burst=".length()), 1, 1_000_000, "burst");
                }
                break;
            }
            case "--backend-connect-rate":
                backendConnectRate = integer(name, value, 0, 1_000_000);
                break;
            case "--admin":
                admin = wrap(name, () -> Config.parseAddress(name, value));
                break;
            case "--admin-token-file":
                adminTokenFile = Path.of(value);
                adminToken = token(adminTokenFile);
                break;
            case "--tcp-keepalive":
                tcpKeepAlive = duration(name, value, true);
                if (!tcpKeepAlive.isZero() && tcpKeepAlive.compareTo(Duration.ofSeconds(1)) < 0) {
                    throw new IllegalArgumentException(name + ": '" + value + "' (expected: 0 or at least 1s)");
                }
                break;
            default:
                throw new IllegalArgumentException(name + ": unknown option (see --help)");
        }
    }

    Balancer.Builder toBuilder() {
        Balancer.Builder b = Balancer.builder();
        listen.forEach(b::listen);
        if (admin != null) {
            // the admin API changes the pool over the configured sources
            CompositeRegistry sources = sources();
            overrides = new AdminOverrides(sources, sources::source);
            b.registry(overrides);
        } else if (backendFiles.isEmpty() && backendDns.isEmpty() && backendSrv.isEmpty()) {
            backends.forEach(b::backend);
        } else {
            b.registry(registry());
        }
        if (policy != null) {
            b.policy(policy);
        }
        b.probe(probe);
        if (probeInterval != null) {
            b.probeInterval(probeInterval);
        }
        if (probeTimeout != null) {
            b.probeTimeout(probeTimeout);
        }
        if (unhealthyThreshold != null) {
            b.unhealthyThreshold(unhealthyThreshold);
        }
        if (healthyThreshold != null) {
            b.healthyThreshold(healthyThreshold);
        }
        if (probePort != null) {
            b.probePort(probePort);
        }
        if (idleTimeout != null) {
            b.idleTimeout(idleTimeout);
        }
        b.resetOnIdle(resetOnIdle);
        if (connectTimeout != null) {
            b.connectTimeout(connectTimeout);
        }
        if (connectAttempts != null) {
            b.connectAttempts(connectAttempts);
        }
        if (threads != null) {
            b.eventLoops(threads);
        }
        if (drainTimeout != null) {
            b.drainTimeout(drainTimeout);
        }
        b.proxyProtocol(proxyProtocol);
        b.acceptProxyProtocol(acceptProxyProtocol);
        acceptProxyFrom.forEach(b::acceptProxyFrom);
        if (maxConnections != null) {
            b.maxConnections(maxConnections);
        }
        if (queueTimeout != null) {
            b.queueTimeout(queueTimeout);
        }
        if (maxQueued != null) {
            b.maxQueued(maxQueued);
        }
        if (maxConnectionsPerClient != null) {
            b.maxConnectionsPerClient(maxConnectionsPerClient);
        }
        allow.forEach(b::allow);
        deny.forEach(b::deny);
        if (metrics != null) {
            b.metricsAddress(metrics);
        }
        if (initialHealth != null) {
            b.initialHealth(initialHealth);
        }
        if (passiveFailureThreshold != null) {
            b.passiveFailureThreshold(passiveFailureThreshold);
        }
        b.closeOnUnhealthy(closeOnUnhealthy);
        b.panicMode(panicMode);
        if (frontHealth != null) {
            b.frontHealth(frontHealth);
        }
        if (frontHealthMode != null) {
            b.frontHealthMode(frontHealthMode);
        }
        if (frontHealthMinBackends != null) {
            b.frontHealthMinBackends(frontHealthMinBackends);
        }
        if (frontHealthGrace != null) {
            b.frontHealthGrace(frontHealthGrace);
        }
        if (acceptRate > 0) {
            b.acceptRate(acceptRate, acceptBurst);
        }
        if (backendConnectRate > 0) {
            b.backendConnectRate(backendConnectRate);
        }
        if (rebalance) {
            b.rebalance(rebalanceInterval, rebalanceSpread, rebalanceRate);
        }
        if (drainPacing != null) {
            b.drainPacing(drainPacing);
        }
        if (tcpKeepAlive != null) {
            b.tcpKeepAlive(tcpKeepAlive);
        }
        b.reusePort(reusePort);
        return b;
    }

    /** Every backend source as one registry: --backend first, then files, DNS and SRV names. */
    private BackendRegistry registry() {
        List<BackendRegistry> sources = new ArrayList<>();
        if (!backends.isEmpty()) {
            sources.add(BackendRegistry.fixed(backends));
        }
        backendFiles.forEach(f -> sources.add(BackendRegistry.file(f)));
        backendDns.forEach(d -> sources.add(BackendRegistry.dns(d[0], Integer.parseInt(d[1]), dnsServer)));
        backendSrv.forEach(n -> sources.add(BackendRegistry.dnsSrv(n, dnsServer)));
        return sources.size() == 1 ? sources.get(0) : new CompositeRegistry(sources);
    }

    /** {@code --rebalance [interval=D,spread=F,rate=F]}: each parameter optional, the rest keep their defaults. */
    private void rebalance(String value) {
        rebalance = true;
        if (value == null) {
            return;
        }
        String name = "--rebalance";
        Set<String> seen = new java.util.HashSet<>();
        for (String part : value.split(",", -1)) {
            int eq = part.indexOf('=');
            String key = eq > 0 ? part.substring(0, eq) : part;
            String text = eq > 0 ? part.substring(eq + 1) : null;
            if (text == null || !seen.add(key)) {
                throw new IllegalArgumentException(name + ": '" + value + "' (expected: interval=D,spread=F,rate=F, "
                        + "each at most once, any of them)");
            }
            switch (key) {
                case "interval":
                    rebalanceInterval = duration(name + " interval", text, false);
                    if (rebalanceInterval.compareTo(Duration.ofMillis(10)) < 0) {
                        throw new IllegalArgumentException(name + " interval: " + text + " (expected: at least 10ms)");
                    }
                    break;
                case "spread":
                    rebalanceSpread = fraction(name + " spread", text, 1000);
                    break;
                case "rate":
                    rebalanceRate = fraction(name + " rate", text, 1);
                    break;
                default:
                    throw new IllegalArgumentException(name + ": '" + part + "' (expected: interval=D, spread=F or rate=F)");
            }
        }
    }

    /** A decimal above 0 and at most {@code max}, plain ASCII digits with an optional fraction ({@code 0.2}). */
    private static double fraction(String what, String text, double max) {
        if (!text.matches("[0-9]{1,6}(\\.[0-9]{1,6})?")) {
            throw new IllegalArgumentException(what + ": '" + text + "' (expected: a decimal number such as 0.2)");
        }
        double d = Double.parseDouble(text);
        if (!(d > 0) || d > max) {
            throw new IllegalArgumentException(what + ": " + text + " (expected: above 0 and at most "
                    + (max == 1 ? "1" : String.valueOf((long) max)) + ")");
        }
        return d;
    }

    /** Every source with its label for the admin API's listing: {@code cli}, {@code file}, {@code dns}. */
    private CompositeRegistry sources() {
        List<BackendRegistry> sources = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        if (!backends.isEmpty()) {
            sources.add(BackendRegistry.fixed(backends));
            labels.add("cli");
        }
        for (Path f : backendFiles) {
            sources.add(BackendRegistry.file(f));
            labels.add("file");
        }
        for (String[] d : backendDns) {
            sources.add(BackendRegistry.dns(d[0], Integer.parseInt(d[1]), dnsServer));
            labels.add("dns");
        }
        for (String n : backendSrv) {
            sources.add(BackendRegistry.dnsSrv(n, dnsServer));
            labels.add("dns");
        }
        return new CompositeRegistry(sources, labels);
    }

    /** Whether {@code address} is a loopback address (a name: every address it resolves to). */
    private static boolean loopback(InetSocketAddress address) {
        if (!address.isUnresolved()) {
            return address.getAddress().isLoopbackAddress();
        }
        try {
            for (java.net.InetAddress ip : java.net.InetAddress.getAllByName(address.getHostString())) {
                if (!ip.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (java.net.UnknownHostException e) {
            return false; // unknown: not known to be loopback, so a token is required
        }
    }

    /** The first line of the token file: visible ASCII, not empty. The token itself is never in a message. */
    private static String token(Path file) {
        String text;
        try {
            text = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("--admin-token-file: " + file + ": cannot read ("
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getClass().getSimpleName())
                    + ")");
        }
        int end = text.indexOf('\n');
        String line = (end < 0 ? text : text.substring(0, end)).strip();
        if (line.isEmpty()) {
            throw new IllegalArgumentException("--admin-token-file: " + file + ": the first line is empty "
                    + "(expected: the token)");
        }
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException("--admin-token-file: " + file + ": the token has a character "
                        + "other than visible ASCII (expected: letters, digits and punctuation, no spaces)");
            }
        }
        return line;
    }

    private static Path backendsFile(String value) {
        Path file = Path.of(value);
        wrap("--backends-file", () -> FileRegistry.read(file)); // a missing or bad file is exit 2
        return file;
    }

    private static String[] dnsNamePort(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--backends-dns: '" + value + "' (expected: NAME:PORT)");
        }
        String host = value.substring(0, colon);
        int port = integer("--backends-dns", value.substring(colon + 1), 1, 65535, "port");
        wrap("--backends-dns", () -> BackendRegistry.dns(host, port));
        return new String[] {host, String.valueOf(port)};
    }

    private static InetSocketAddress dnsServer(String value) {
        InetSocketAddress parsed = wrap("--dns-server", () -> Config.parseAddress("--dns-server", value));
        if (parsed.getPort() == 0) {
            throw new IllegalArgumentException("--dns-server: '" + value + "' (expected: HOST:PORT with PORT 1-65535)");
        }
        // resolved at start: an unknown host is a start failure (exit 1), not a bad option
        return InetSocketAddress.createUnresolved(parsed.getHostString(), parsed.getPort());
    }

    private static Backend backend(String value) {
        String[] parts = value.split(",", -1);
        Backend b = wrap("--backend", () -> Backend.parse(parts[0]));
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            if (part.startsWith("weight=")) {
                b = b.withWeight(integer("--backend", part.substring(7), 1, Backend.MAX_WEIGHT, "weight"));
            } else if (part.startsWith("max-connections=")) {
                b = b.withMaxConnections(integer("--backend", part.substring(16), 0, Integer.MAX_VALUE,
                        "max-connections"));
            } else {
                throw new IllegalArgumentException("--backend: '" + value
                        + "' (expected: HOST:PORT[,weight=N][,max-connections=N])");
            }
        }
        return b;
    }

    private static BalancingPolicy policy(String value) {
        switch (value) {
            case "round-robin": return BalancingPolicy.roundRobin();
            case "weighted-round-robin": return BalancingPolicy.weightedRoundRobin();
            case "least-connections": return BalancingPolicy.leastConnections();
            case "power-of-two": return BalancingPolicy.powerOfTwo();
            case "five-tuple": return BalancingPolicy.fiveTuple();
            case "source-ip": return BalancingPolicy.sourceIp();
            case "source-ip-protocol": return BalancingPolicy.sourceIpProtocol();
            default:
                throw new IllegalArgumentException("--policy: '" + value + "' (expected: round-robin, "
                        + "weighted-round-robin, least-connections, power-of-two, five-tuple, source-ip, "
                        + "source-ip-protocol)");
        }
    }

    /** {@code [kind, path]} for {@code https:/PATH} and {@code wss:/PATH}, else {@code null}. */
    private static String[] tlsProbe(String value) {
        for (String kind : new String[] {"https:", "wss:"}) {
            if (value.startsWith(kind + "/")) {
                String path = value.substring(kind.length());
                wrap("--probe", () -> HttpProbe.checkPath("path", path));
                return new String[] {kind, path};
            }
        }
        return null;
    }

    /**
     * The TLS probe once every TLS option is known (they may come in any order), with its context built
     * here, before the balancer starts; the TLS options without a TLS probe are refused, except with
     * {@code --probe none}, where every probe option is accepted and ignored.
     */
    private void buildTlsProbe() {
        String given = probeCa != null ? "--probe-ca" : probeSni != null ? "--probe-sni"
                : probeInsecure ? "--probe-insecure" : probeClientCert != null ? "--probe-client-cert"
                : probeClientKey != null ? "--probe-client-key" : null;
        if (tlsProbe == null) {
            if (given != null && probe != null) {
                throw new IllegalArgumentException(given + ": applies only to TLS probes (expected: --probe https:/PATH "
                        + "or wss:/PATH)");
            }
            return;
        }
        if (probeInsecure && probeCa != null) {
            throw new IllegalArgumentException("--probe-insecure: given with --probe-ca " + probeCa
                    + " (expected: one or the other)");
        }
        ProbeTls.Builder tls = ProbeTls.builder().insecureTrustAnyCertificate(probeInsecure);
        if (probeCa != null) {
            wrap("--probe-ca", () -> tls.trustCertificates(probeCa));
        }
        if (probeSni != null) {
            tls.serverName(probeSni);
        }
        if ((probeClientCert == null) != (probeClientKey == null)) {
            throw new IllegalArgumentException(probeClientCert == null
                    ? "--probe-client-key: given without --probe-client-cert"
                    : "--probe-client-cert: given without --probe-client-key");
        }
        if (probeClientCert != null) {
            wrap("--probe-client-key", () -> TlsClient.readClientPem(probeClientCert, probeClientKey));
            tls.clientCertificate(probeClientCert, probeClientKey);
        }
        ProbeTls settings = wrap("--probe", tls::build);
        probe = tlsProbe[0].equals("https:") ? HealthProbe.https(tlsProbe[1], settings)
                : HealthProbe.secureWebSocket(tlsProbe[1], settings);
    }

    private static HealthProbe probe(String value) {
        if (value.equals("tcp")) {
            return HealthProbe.tcp();
        }
        if (value.equals("none")) {
            return null;
        }
        if (value.startsWith("http:/")) {
            return wrap("--probe", () -> HealthProbe.http(value.substring(5)));
        }
        if (value.startsWith("websocket:/")) {
            return wrap("--probe", () -> HealthProbe.webSocket(value.substring(10)));
        }
        throw new IllegalArgumentException("--probe: '" + value
                + "' (expected: tcp, http:/PATH, websocket:/PATH, https:/PATH, wss:/PATH or none)");
    }

    private static HealthState initialHealth(String value) {
        switch (value) {
            case "unknown": return HealthState.UNKNOWN;
            case "up": return HealthState.UP;
            case "down": return HealthState.DOWN;
            default:
                throw new IllegalArgumentException("--initial-health: '" + value + "' (expected: unknown, up or down)");
        }
    }

    private static Duration duration(String name, String value, boolean zeroAllowed) {
        Duration d;
        try {
            d = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage());
        }
        if (d.isZero() && !zeroAllowed) {
            throw new IllegalArgumentException(name + ": '0' (expected: a positive duration such as 5s)");
        }
        return d;
    }

    private static int integer(String name, String value, int min, int max) {
        return integer(name, value, min, max, null);
    }

    private static int integer(String name, String value, int min, int max, String field) {
        String what = field == null ? name : name + " " + field;
        long n;
        try {
            if (!value.matches("-?[0-9]{1,18}")) { // ASCII only: Long.parseLong also takes '+' and other scripts' digits
                throw new NumberFormatException(value);
            }
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": '" + value + "' (expected: an integer " + min + "-" + max + ")");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + ": " + value + " (expected: " + min + "-" + max + ")");
        }
        return (int) n;
    }

    private static <T> T wrap(String name, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            return fail(message.startsWith(name) ? message : name + ": " + message);
        }
    }

    private static <T> T fail(String message) {
        throw new IllegalArgumentException(message);
    }
}
