package io.lb4j.internal.cli;

import static io.lb4j.internal.cli.Option.choice;
import static io.lb4j.internal.cli.Option.duration;
import static io.lb4j.internal.cli.Option.flag;
import static io.lb4j.internal.cli.Option.number;
import static io.lb4j.internal.cli.Option.value;

import io.lb4j.Balancer;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthState;
import io.lb4j.ProxyProtocol;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Every option of the command line, one {@link Option} row each, in the order {@code --help} lists
 * them: most rows hand their value straight to a {@link Balancer.Builder} setter, the rest to the
 * runner's own settings in {@link Settings}. The help text and the wording of the builder's errors
 * as options are made from these rows.
 */
final class OptionTable {
    private static final int HELP_COLUMN = 33;

    private static final Map<String, Supplier<BalancingPolicy>> POLICIES = ordered("round-robin weighted-round-robin "
                    + "least-connections power-of-two five-tuple source-ip source-ip-protocol",
            BalancingPolicy::roundRobin, BalancingPolicy::weightedRoundRobin, BalancingPolicy::leastConnections,
            BalancingPolicy::powerOfTwo, BalancingPolicy::fiveTuple, BalancingPolicy::sourceIp,
            BalancingPolicy::sourceIpProtocol);

    static final List<Option> ROWS = List.of(
            value("--listen", "HOST:PORT", "listen|listen address", (o, v) -> o.builder().listen(v),
                    "frontend address; repeatable; [::1]:PORT for IPv6 (required)"),
            value("--backend", "HOST:PORT[,weight=N][,max-connections=N]", "backend|backends",
                    (o, v) -> o.sources().backend(v),
                    "a backend; repeatable; weight 1-1000 (default 1)"),
            value("--backends-file", "PATH", null, (o, v) -> o.sources().file(v),
                    "one HOST:PORT [weight=N] [max-connections=N] [state=up|down|drain]",
                    "a line, # comments; re-read on change (within 2s); a bad line is",
                    "reported as PATH:LINE: reason and the last good set kept;",
                    "state=drain deadline=D closes the backend's connections spread",
                    "over D, none left after it"),
            value("--backends-dns", "NAME:PORT", null, (o, v) -> o.sources().dns(v),
                    "A/AAAA records of NAME with PORT, re-resolved at TTL expiry (>= 1s)"),
            value("--backends-srv", "NAME", null, (o, v) -> o.sources().srv(v),
                    "SRV records of NAME (lowest priority; weight 0 counts as 1)"),
            value("--dns-server", "HOST:PORT", null, (o, v) -> o.sources().dnsServer(v),
                    "resolver for the two above (default: the nameservers of",
                    "/etc/resolv.conf in order; its search list and options apply)",
                    "Backend sources combine: their union is the pool (the first",
                    "source listing a HOST:PORT wins); at least one is required."),
            choice("--policy", "NAME", "policy", POLICIES, (b, policy) -> b.policy(policy.get()),
                    "round-robin, weighted-round-robin, least-connections, power-of-two,",
                    "five-tuple, source-ip, source-ip-protocol (default five-tuple)"),
            duration("--slow-start", "slowStart", Balancer.Builder::slowStart,
                    "ramp a backend that turns healthy from 5% to its full share over D",
                    "(weighted-round-robin, least-connections, power-of-two; default off)"),
            value("--probe", "SPEC", null, Settings::probe,
                    "tcp, http:/PATH (2xx is healthy), websocket:/PATH (101 with the",
                    "right Sec-WebSocket-Accept is healthy), https:/PATH and wss:/PATH",
                    "(the same over TLS, certificate verified against the JDK's trust",
                    "store and the backend's host) or none (default tcp)"),
            value("--probe-ca", "PATH", "trustCertificates",
                    (o, v) -> o.tls("--probe-ca").trustCertificates(Path.of(v)),
                    "PEM or PKCS#12 file of certificates the TLS probes trust instead",
                    "of the JDK's store"),
            value("--probe-sni", "NAME", "serverName", (o, v) -> o.tls("--probe-sni").serverName(v),
                    "server name the TLS probes send and verify (default: the",
                    "backend's host when it is a name)"),
            flag("--probe-insecure", "insecureTrustAnyCertificate",
                    o -> o.tls("--probe-insecure").insecureTrustAnyCertificate(true),
                    "TLS probes accept any certificate (default off)"),
            value("--probe-client-cert", "PATH", null, (o, v) -> o.clientCertificate(Path.of(v)),
                    "PEM certificate chain the TLS probes present to backends that",
                    "require mutual TLS; with --probe-client-key"),
            value("--probe-client-key", "PATH", null, (o, v) -> o.clientKey(Path.of(v)),
                    "its private key, PEM, unencrypted PKCS#8 (BEGIN PRIVATE KEY)"),
            number("--probe-port", 1, 65535, "probePort", Balancer.Builder::probePort,
                    "probe this port instead of the backend's own"),
            duration("--probe-interval", "probeInterval", Balancer.Builder::probeInterval,
                    "start to start, +-10% jitter (default 5s)"),
            duration("--probe-timeout", "probeTimeout", Balancer.Builder::probeTimeout,
                    "(default 2s)"),
            number("--unhealthy-threshold", 1, 1_000_000, "unhealthyThreshold", Balancer.Builder::unhealthyThreshold,
                    "consecutive failures that mark a backend down (default 2)"),
            number("--healthy-threshold", 1, 1_000_000, "healthyThreshold", Balancer.Builder::healthyThreshold,
                    "consecutive successes that mark it up (default 1)"),
            choice("--initial-health", "STATE", "initialHealth",
                    ordered("unknown up down", HealthState.UNKNOWN, HealthState.UP, HealthState.DOWN),
                    Balancer.Builder::initialHealth,
                    "before a backend's first probe: unknown (no traffic, the first",
                    "probe decides), up, or down (needs the healthy threshold)",
                    "(default unknown)"),
            number("--passive-failure-threshold", 0, 1_000_000, "passiveFailureThreshold",
                    Balancer.Builder::passiveFailureThreshold,
                    "failed client connects in a row that mark a backend down before",
                    "its probe does; 0 = off (default 5)"),
            flag("--close-on-unhealthy", "closeOnUnhealthy", o -> o.builder().closeOnUnhealthy(true),
                    "close open connections of a backend that turns unhealthy",
                    "(default: they keep running)"),
            flag("--panic-mode", "panicMode", o -> o.builder().panicMode(true),
                    "when no backend is healthy, send to all of them anyway",
                    "(default: close new client connections at once)"),
            duration("--idle-timeout", "idleTimeout", Balancer.Builder::idleTimeout,
                    "close a pair idle this long; 0 = never (default 4m)"),
            flag("--tcp-reset-on-idle", "resetOnIdle", o -> o.builder().resetOnIdle(true),
                    "reset (RST) instead of FIN on idle timeout"),
            duration("--connect-timeout", "connectTimeout", Balancer.Builder::connectTimeout,
                    "per backend connection attempt (default 3s)"),
            number("--connect-attempts", 1, 1000, "connectAttempts", Balancer.Builder::connectAttempts,
                    "backends tried per client connection (default 3)"),
            number("--threads", "eventLoops", Balancer.Builder::eventLoops,
                    "event-loop threads (default: number of processors)"),
            duration("--drain-timeout", "drainTimeout", Balancer.Builder::drainTimeout,
                    "on SIGTERM/SIGINT, let connections finish this long (default 30s)"),
            number("--max-connections", "maxConnections", Balancer.Builder::maxConnections,
                    "client connections held at once; beyond it accepting pauses",
                    "(default 0 = unlimited)"),
            duration("--queue-timeout", "queueTimeout", Balancer.Builder::queueTimeout,
                    "a client arriving while every usable backend is at its",
                    "max-connections waits, in arrival order, up to D for a slot, then",
                    "is closed; 0 = closed at once (default 0)"),
            number("--max-queued", 1, 1_000_000, "maxQueued", Balancer.Builder::maxQueued,
                    "clients waiting at once; beyond it new ones are closed at once",
                    "(default 1000)"),
            number("--max-connections-per-client", "maxConnectionsPerClient",
                    Balancer.Builder::maxConnectionsPerClient,
                    "connections held at once from one peer IP; beyond it new ones",
                    "are closed and counted (default 0 = unlimited)"),
            value("--allow", "CIDR", "allow", (o, v) -> o.builder().allow(v),
                    "repeatable; a peer must match an allow range (when any is",
                    "given) and no deny range, else it is closed at accept"),
            value("--deny", "CIDR", "deny", (o, v) -> o.builder().deny(v)),
            choice("--proxy-protocol", "v1|v2", "proxyProtocol", ordered("v1 v2", ProxyProtocol.V1, ProxyProtocol.V2),
                    Balancer.Builder::proxyProtocol,
                    "send a PROXY protocol header to each backend"),
            flag("--accept-proxy-protocol", "acceptProxyProtocol", o -> o.builder().acceptProxyProtocol(true),
                    "expect a PROXY protocol v1 or v2 header from each client",
                    "(lb4j behind another balancer); none valid within 3s: closed"),
            value("--accept-proxy-from", "CIDR", "acceptProxyFrom", (o, v) -> o.builder().acceptProxyFrom(v),
                    "repeatable: only these peers may send a PROXY header"),
            value("--metrics", "HOST:PORT", "metricsAddress", (o, v) -> o.builder().metricsAddress(v),
                    "serve GET /metrics (Prometheus text) and GET /stats (JSON)"),
            flag("--access-log", null, Settings::accessLogOn,
                    "one line per closed connection on standard output: time, client,",
                    "backend, duration, bytes to backend, bytes to client, reason"),
            value("--front-health", "HOST:PORT", "frontHealth", (o, v) -> o.builder().frontHealth(v),
                    "health endpoint for a balancer in front of lb4j: GET / answers 200",
                    "while accepting with enough backends up, 503 otherwise and from",
                    "the moment a drain starts"),
            choice("--front-health-mode", "http|tcp", "frontHealthMode",
                    ordered("http tcp", Balancer.FrontHealthMode.HTTP, Balancer.FrontHealthMode.TCP),
                    Balancer.Builder::frontHealthMode,
                    "tcp: the listener is open only while healthy (default http)"),
            number("--front-health-min-backends", 0, 1_000_000, "frontHealthMinBackends",
                    Balancer.Builder::frontHealthMinBackends,
                    "usable backends needed to be healthy (default 1)"),
            duration("--front-health-grace", "frontHealthGrace", Balancer.Builder::frontHealthGrace,
                    "on SIGTERM/SIGINT, unhealthy at once but accept for D before the",
                    "drain starts (default 0)"),
            duration("--drain-pacing", "drainPacing", Balancer.Builder::drainPacing,
                    "on SIGTERM/SIGINT, close open connections spread over D, oldest",
                    "first, instead of waiting for them (at most --drain-timeout;",
                    "default 0 = off)"),
            duration("--tcp-keepalive", "tcpKeepAlive", Balancer.Builder::tcpKeepAlive,
                    "TCP keepalive idle time on both sides of each connection;",
                    "0 = off (default 2m, below Azure's 4-minute idle timeout)"),
            value("--accept-rate", "N[,burst=M]", "acceptRate", Settings::acceptRate,
                    "accept at most N new connections per second, bursts of M (default",
                    "M = N); beyond it accepting pauses and clients wait in the backlog",
                    "(default off)"),
            number("--backend-connect-rate", 0, 1_000_000, "backendConnectRate", Balancer.Builder::backendConnectRate,
                    "at most N new connections per second to each backend; a spent",
                    "backend is skipped for the next in the policy's order (default off)"),
            new Option("--rebalance", "[interval=D,spread=F,rate=F]", Option.Arity.OPTIONAL, List.of("rebalance"),
                    Settings::rebalance, List.of(
                    "after a scale-out, close the oldest connections of the busiest",
                    "backends so clients reconnect elsewhere: checked every interval",
                    "(default 1s), when the spread is above spread (default 0.2 = 20%),",
                    "at most rate of a backend's connections per minute (default 0.1)")),
            value("--admin", "HOST:PORT", null, Settings::admin,
                    "run-time admin API (HTTP + JSON): backends, their state and",
                    "weight, paced drains, connections, rebalance, explain (default off)"),
            value("--admin-token-file", "PATH", null, (o, v) -> o.adminTokenFile(Path.of(v)),
                    "first line: the token every admin request must carry as",
                    "Authorization: Bearer TOKEN; required unless --admin is loopback"),
            flag("--reuse-port", "reusePort", Settings::reusePortOn,
                    "bind the listeners with SO_REUSEPORT, so a successor can bind the",
                    "same addresses while this one runs (no check that the address is",
                    "free); SIGUSR2 then hands over: stop accepting once the queued",
                    "clients are taken, and drain as on SIGTERM (needs fixed ports)"),
            flag("--help", null, Settings::helpAsked, "print and exit"),
            flag("--version", null, Settings::versionAsked));

    private static final Map<String, Option> BY_FLAG = new HashMap<>();
    /** Setting names as the builder's messages spell them, longest first, with the row that feeds each. */
    private static final List<Map.Entry<String, Option>> GLOSSARY = new ArrayList<>();

    static {
        for (Option row : ROWS) {
            if (BY_FLAG.put(row.flag(), row) != null) {
                throw new IllegalStateException(row.flag() + ": two rows");
            }
            row.settings().forEach(setting -> GLOSSARY.add(Map.entry(setting, row)));
        }
        GLOSSARY.sort(Comparator.comparingInt((Map.Entry<String, Option> e) -> e.getKey().length()).reversed());
    }

    private OptionTable() {
    }

    /** The row of {@code flag}, or {@code null}. */
    static Option row(String flag) {
        return BY_FLAG.get(flag);
    }

    /**
     * {@code --help}: each row's label and help lines, a row without help lines listed on the line of
     * the row before it ({@code --allow CIDR, --deny CIDR}).
     */
    static String help() {
        StringBuilder text = new StringBuilder()
                .append("Usage: java -jar lb4j-core.jar --listen HOST:PORT --backend HOST:PORT [options]\n\n")
                .append("An embeddable Layer-4 (TCP) load balancer, run on its own. WebSocket and any TCP pass through.\n\n");
        for (int i = 0; i < ROWS.size(); i++) {
            StringBuilder label = new StringBuilder(ROWS.get(i).label());
            List<String> lines = ROWS.get(i).help();
            while (i + 1 < ROWS.size() && ROWS.get(i + 1).help().isEmpty()) {
                label.append(", ").append(ROWS.get(++i).label());
            }
            text.append("  ").append(label);
            int first = 0;
            if (label.length() + 2 < HELP_COLUMN - 1) {
                text.append(" ".repeat(HELP_COLUMN - 2 - label.length())).append(lines.get(0));
                first = 1;
            }
            text.append('\n');
            for (String line : lines.subList(first, lines.size())) {
                text.append(" ".repeat(HELP_COLUMN)).append(line).append('\n');
            }
        }
        return text.append("\nDurations: 0 or a positive integer with ms, s, m or h (250ms, 5s, 4m, 1h).\n\n").toString();
    }

    /**
     * A setter's or {@code build()}'s message in the words of the command line: the setting it starts
     * with becomes that row's flag ({@code "idleTimeout: -1s"} → {@code "--idle-timeout: -1s"}), so
     * do other settings it names (camel-case ones anywhere, plain words before its
     * {@code (expected: ...)}, where they are prose), {@code <=} and {@code >=} read "at most" and
     * "at least", and a flag's {@code true} reads "given". A message that starts with no setting is
     * returned as it is.
     */
    static String reword(String message) {
        Map.Entry<String, Option> lead = setting(message, 0, ": ");
        if (lead == null) {
            return message;
        }
        StringBuilder out = new StringBuilder(lead.getValue().flag());
        String rest = message.substring(lead.getKey().length());
        if (lead.getValue().arity() == Option.Arity.NONE && rest.startsWith(": true")) {
            rest = ": given" + rest.substring(": true".length());
        }
        int expected = rest.indexOf("(expected");
        int at = 0;
        while (at < rest.length()) {
            int end = rest.indexOf(' ', at);
            end = end < 0 ? rest.length() : end;
            Map.Entry<String, Option> named = at > 0 && rest.charAt(at - 1) == ' ' ? setting(rest, at, " ,)") : null;
            if (named != null && (expected < 0 || at < expected || !named.getKey().equals(named.getKey().toLowerCase()))) {
                out.append(named.getValue().flag());
                at += named.getKey().length();
                if (rest.startsWith("(true)", at)) {
                    at += "(true)".length();
                }
                continue;
            }
            String word = rest.substring(at, end);
            out.append(word.equals("<=") ? "at most" : word.equals(">=") ? "at least" : word);
            if (end < rest.length()) {
                out.append(' ');
            }
            at = end + 1;
        }
        return out.toString();
    }

    /**
     * The longest setting name at {@code from} in {@code text} that ends there with one of {@code ends},
     * at the end of the text, or with {@code (true)}; {@code null} when none does.
     */
    private static Map.Entry<String, Option> setting(String text, int from, String ends) {
        for (Map.Entry<String, Option> entry : GLOSSARY) {
            String name = entry.getKey();
            int end = from + name.length();
            if (text.startsWith(name, from) && (end == text.length() || ends.indexOf(text.charAt(end)) >= 0
                    || text.startsWith("(true)", end))) {
                return entry;
            }
        }
        return null;
    }

    /** The space-separated {@code names}, each with the value in the same place, in that order. */
    @SafeVarargs
    private static <T> Map<String, T> ordered(String names, T... values) {
        String[] keys = names.split(" ");
        if (keys.length != values.length) {
            throw new IllegalStateException(names + ": " + values.length + " values");
        }
        Map<String, T> map = new LinkedHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            map.put(keys[i], values[i]);
        }
        return map;
    }
}
