package io.lb4j.internal.cli;

import static io.lb4j.internal.cli.AdminRequests.decode;
import static io.lb4j.internal.cli.AdminRequests.describe;
import static io.lb4j.internal.cli.AdminRequests.integer;
import static io.lb4j.internal.cli.AdminRequests.object;
import static io.lb4j.internal.cli.AdminRequests.query;

import io.lb4j.Backend;
import io.lb4j.Balancer;
import io.lb4j.internal.AddressText;
import io.lb4j.internal.cli.AdminRequests.Refusal;
import io.lb4j.internal.Durations;
import io.lb4j.internal.engine.Engine;
import io.lb4j.internal.engine.EngineAccess;
import io.lb4j.internal.export.ExplainJson;
import io.lb4j.internal.export.HttpServer;
import io.lb4j.internal.export.Json;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.registry.AdminOverrides;
import io.lb4j.internal.relay.ConnectionPair;
import io.lb4j.internal.relay.PairHandle;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The run-time admin API of the standalone runner ({@code --admin HOST:PORT}): HTTP/1.1 and JSON on
 * the engine's own HTTP server, reading the pool and connections and changing them through the same
 * paths an embedder uses (the registry's snapshots, paced drains, connection handles, the rebalancer).
 * With a token every request must carry {@code Authorization: Bearer TOKEN}, compared in constant time
 * (both sides hashed first, so not even the length leaks); 401 without it, 403 with a wrong one,
 * before anything else about the request is looked at. Every change is one line for the log.
 */
final class AdminApi implements HttpServer.Service {
    /** Head 8 KiB, body 64 KiB, 16 connections at once, head within 5 s, whole exchange within 10 s. */
    static final HttpServer.Limits LIMITS = new HttpServer.Limits(8192, 64 * 1024, 16, 5_000_000_000L,
            10_000_000_000L);
    static final int DEFAULT_CONNECTIONS_LIMIT = 1000;
    static final int MAX_CONNECTIONS_LIMIT = 10_000;
    private static final int MAX_REASON_CHARS = 256;
    private static final String JSON = "application/json";
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    /** At most one line per this long about requests refused for their token, so a flood cannot fill the log. */
    private static final long REFUSED_LOG_INTERVAL_NS = 10_000_000_000L;

    private final Engine engine;
    private final AdminOverrides registry;
    private final byte[] tokenHash;
    private final Consumer<String> changes;
    // refused tokens: on the server's loop only
    private long refusedSinceLog;
    private long refusedLoggedNs = System.nanoTime() - REFUSED_LOG_INTERVAL_NS;

    private AdminApi(Engine engine, AdminOverrides registry, String token, Consumer<String> changes) {
        this.engine = engine;
        this.registry = registry;
        this.tokenHash = token == null ? null : sha256(token.getBytes(StandardCharsets.UTF_8));
        this.changes = changes;
    }

    /**
     * Binds and serves the admin API for a started balancer whose registry is {@code registry}.
     *
     * @param token the bearer token every request must carry, or {@code null} for none
     * @param changes told one line per change made
     * @throws UncheckedIOException when the address cannot be bound
     */
    static HttpServer start(Balancer balancer, InetSocketAddress address, AdminOverrides registry, String token,
                            Consumer<String> changes, HttpServer.Limits limits) {
        Engine engine = EngineAccess.engine(balancer);
        AdminApi api = new AdminApi(engine, registry, token, changes);
        HttpServer server = HttpServer.bind("admin", address, engine.operationsLoop(), limits, api,
                engine::adminRequest, engine.faults(), engine.reusePort());
        try {
            engine.attach(server);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    // ---- requests ----

    /** What a path names, with the method it was asked with. */
    private enum Route { BACKENDS, BACKEND, STATE, WEIGHT, CONNECTIONS, CLOSE, REBALANCE, EXPLAIN }

    /** A resolved request: the route and the path's parameter (a backend name or connection id). */
    private record Target(Route route, String parameter) {
    }

    @Override
    public HttpServer.Response head(HttpServer.Request request) {
        try {
            authorize(request);
            target(request);
            return null;
        } catch (Refusal r) {
            return refusal(r);
        }
    }

    @Override
    public void handle(HttpServer.Request request, HttpServer.Exchange exchange) {
        try {
            Target target = target(request);
            switch (target.route()) {
                case BACKENDS:
                    if (request.method().equals("GET")) {
                        exchange.respond(ok(200, "{\"backends\":" + entries() + "}"));
                    } else {
                        add(request, exchange);
                    }
                    break;
                case BACKEND:
                    if (request.method().equals("GET")) {
                        exchange.respond(ok(200, entry(member(target.parameter()))));
                    } else {
                        remove(request, target.parameter(), exchange);
                    }
                    break;
                case STATE:
                    state(request, target.parameter(), exchange);
                    break;
                case WEIGHT:
                    weight(request, target.parameter(), exchange);
                    break;
                case CONNECTIONS:
                    connections(request, exchange);
                    break;
                case CLOSE:
                    close(request, target.parameter(), exchange);
                    break;
                case REBALANCE:
                    rebalance(request, exchange);
                    break;
                default:
                    explain(request, exchange);
            }
        } catch (Refusal r) {
            exchange.respond(refusal(r));
        }
    }

    @Override
    public HttpServer.Response error(int status, String message) {
        return new HttpServer.Response(status, JSON, error(message));
    }

    private static String error(String message) {
        StringBuilder out = new StringBuilder("{\"error\":");
        Json.string(out, message);
        return out.append("}").toString();
    }

    private static HttpServer.Response refusal(Refusal r) {
        return new HttpServer.Response(r.status, JSON, error(r.getMessage()), r.headers);
    }

    private static HttpServer.Response ok(int status, String json) {
        return new HttpServer.Response(status, JSON, json);
    }

    private void authorize(HttpServer.Request request) {
        if (tokenHash == null) {
            return;
        }
        String header = request.header("authorization");
        List<String> challenge = List.of("WWW-Authenticate: Bearer realm=\"lb4j-admin\"");
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            refused(request);
            throw new Refusal(401, "token missing (expected: Authorization: Bearer TOKEN)", challenge);
        }
        byte[] given = sha256(header.substring(7).strip().getBytes(StandardCharsets.UTF_8));
        if (!MessageDigest.isEqual(given, tokenHash)) {
            refused(request);
            throw new Refusal(403, "token wrong");
        }
    }

    /** Counts a request refused for its token; says so on the log at most once per interval. */
    private void refused(HttpServer.Request request) {
        refusedSinceLog++;
        long now = System.nanoTime();
        if (now - refusedLoggedNs >= REFUSED_LOG_INTERVAL_NS) {
            long count = refusedSinceLog;
            LOG.log(System.Logger.Level.WARNING, () -> "admin: " + count + " request" + (count == 1 ? "" : "s")
                    + " refused for a missing or wrong token since the last such line, the latest from "
                    + AddressText.format(request.peer()));
            refusedSinceLog = 0;
            refusedLoggedNs = now;
        }
    }

    /** The route of a request's path and method: 404 for an unknown path, 405 for a wrong method. */
    private static Target target(HttpServer.Request request) {
        String path = request.path();
        if (!path.startsWith("/")) {
            throw new Refusal(404, "path: '" + path + "' (expected: an absolute path such as /backends)");
        }
        String[] raw = path.substring(1).split("/", -1);
        List<String> seg = new ArrayList<>();
        for (String s : raw) {
            seg.add(decode(s));
        }
        String method = request.method();
        int n = seg.size();
        String first = seg.get(0);
        if (first.equals("backends") && n == 1) {
            return allow(method, new Target(Route.BACKENDS, null), "GET", "POST");
        }
        if (first.equals("backends") && n == 2 && !seg.get(1).isEmpty()) {
            return allow(method, new Target(Route.BACKEND, seg.get(1)), "GET", "DELETE");
        }
        if (first.equals("backends") && n == 3 && seg.get(2).equals("state")) {
            return allow(method, new Target(Route.STATE, seg.get(1)), "POST");
        }
        if (first.equals("backends") && n == 3 && seg.get(2).equals("weight")) {
            return allow(method, new Target(Route.WEIGHT, seg.get(1)), "POST");
        }
        if (first.equals("connections") && n == 1) {
            return allow(method, new Target(Route.CONNECTIONS, null), "GET");
        }
        if (first.equals("connections") && n == 3 && seg.get(2).equals("close")) {
            return allow(method, new Target(Route.CLOSE, seg.get(1)), "POST");
        }
        if (first.equals("rebalance") && n == 1) {
            return allow(method, new Target(Route.REBALANCE, null), "POST");
        }
        if (first.equals("explain") && n == 1) {
            return allow(method, new Target(Route.EXPLAIN, null), "GET");
        }
        throw new Refusal(404, "path: '" + path + "' (expected: /backends, /backends/HOST:PORT, "
                + "/backends/HOST:PORT/state, /backends/HOST:PORT/weight, /connections, /connections/ID/close, "
                + "/rebalance or /explain)");
    }

    private static Target allow(String method, Target target, String... methods) {
        for (String m : methods) {
            if (m.equals(method)) {
                return target;
            }
        }
        String list = String.join(", ", methods);
        throw new Refusal(405, "method " + method + " (expected: " + list + ")", List.of("Allow: " + list));
    }

    // ---- backends ----

    /** The member named by {@code text} (exactly, or the same IP literal and port); 404 when none. */
    private BackendState member(String text) {
        Backend wanted;
        try {
            wanted = Backend.parse(text);
        } catch (IllegalArgumentException e) {
            throw new Refusal(404, "backend '" + text + "': not a member (expected: HOST:PORT or [IPv6]:PORT)");
        }
        BackendState sameAddress = null;
        for (BackendState m : engine.members()) {
            Backend b = m.backend();
            if (b.name().equals(wanted.name())) {
                return m;
            }
            if (b.port() == wanted.port() && sameLiteral(b.host(), wanted.host())) {
                sameAddress = m;
            }
        }
        if (sameAddress != null) {
            return sameAddress;
        }
        throw new Refusal(404, "backend " + wanted.name() + ": not a member");
    }

    /** Whether two hosts are IP literals of the same address ({@code ::1} and {@code 0:0:0:0:0:0:0:1}). */
    private static boolean sameLiteral(String a, String b) {
        if (!literal(a) || !literal(b)) {
            return false;
        }
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b)); // literals: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static boolean literal(String host) {
        return host.indexOf(':') >= 0 || host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    }

    private String entries() {
        StringBuilder out = new StringBuilder("[");
        for (BackendState m : engine.members()) {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append(entry(m));
        }
        return out.append(']').toString();
    }

    /** One backend as {@code GET /backends} lists it. */
    private String entry(BackendState m) {
        Backend b = m.backend();
        StringBuilder out = new StringBuilder(160).append("{\"backend\":");
        Json.string(out, b.name());
        out.append(",\"health\":\"").append(m.health().name())
                .append("\",\"admin\":\"").append(m.draining() ? "DRAIN" : b.adminState().name())
                .append("\",\"active\":").append(m.activeConnections())
                .append(",\"weight\":").append(b.weight())
                .append(",\"source\":");
        Json.string(out, registry.source(b.name()));
        return out.append('}').toString();
    }

    /** Once the change is applied by the engine, answers with {@code name}'s entry. */
    private void answerWhenApplied(HttpServer.Exchange exchange, int status, String name) {
        engine.settled().whenComplete((v, e) -> {
            if (e != null) {
                exchange.respond(new HttpServer.Response(503, JSON, error("the balancer is closing")));
                return;
            }
            BackendState now = null;
            for (BackendState m : engine.members()) {
                if (m.backend().name().equals(name)) {
                    now = m;
                }
            }
            exchange.respond(now != null ? ok(status, entry(now))
                    : new HttpServer.Response(500, JSON, error("backend " + name + ": not in the pool after the change")));
        });
    }

    private void add(HttpServer.Request request, HttpServer.Exchange exchange) {
        Map<String, Object> body = object(request, "backend", "weight");
        Object name = body.get("backend");
        if (!(name instanceof String)) {
            throw new Refusal(400, "backend: " + (name == null ? "missing" : "not a string")
                    + " (expected: \"HOST:PORT\" or \"[IPv6]:PORT\")");
        }
        Backend backend;
        try {
            backend = Backend.parse((String) name);
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, e.getMessage());
        }
        if (body.containsKey("weight")) {
            backend = backend.withWeight(integer(body, "weight", 1, Backend.MAX_WEIGHT));
        }
        try {
            registry.add(backend);
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, e.getMessage());
        }
        log(request, "added backend " + backend.name() + " (weight " + backend.weight() + ")");
        answerWhenApplied(exchange, 201, backend.name());
    }

    private void remove(HttpServer.Request request, String text, HttpServer.Exchange exchange) {
        BackendState m = member(text);
        String name = m.backend().name();
        String last = entry(m);
        if (registry.remove(name) == null) {
            throw new Refusal(404, "backend " + name + ": not a member");
        }
        log(request, "removed backend " + name + " (its open connections keep running)");
        engine.settled().whenComplete((v, e) -> exchange.respond(e != null
                ? new HttpServer.Response(503, JSON, error("the balancer is closing")) : ok(200, last)));
    }

    private void state(HttpServer.Request request, String text, HttpServer.Exchange exchange) {
        Map<String, Object> body = object(request, "state", "deadline");
        Object value = body.get("state");
        Backend.AdminState state = null;
        if (value instanceof String) {
            switch (((String) value).toLowerCase(Locale.ROOT)) {
                case "up": state = Backend.AdminState.UP; break;
                case "drain": state = Backend.AdminState.DRAIN; break;
                case "down": state = Backend.AdminState.DOWN; break;
                default: break;
            }
        }
        if (state == null) {
            throw new Refusal(400, "state: " + (value == null ? "missing" : describe(value))
                    + " (expected: \"up\", \"drain\" or \"down\")");
        }
        Duration deadline = null;
        if (body.containsKey("deadline")) {
            Object d = body.get("deadline");
            if (state != Backend.AdminState.DRAIN) {
                throw new Refusal(400, "deadline: given with state " + state.name().toLowerCase(Locale.ROOT)
                        + " (expected: only with \"drain\")");
            }
            if (!(d instanceof String)) {
                throw new Refusal(400, "deadline: " + describe(d) + " (expected: a duration such as \"10m\")");
            }
            try {
                deadline = Durations.parse((String) d);
            } catch (IllegalArgumentException e) {
                throw new Refusal(400, "deadline: " + e.getMessage());
            }
            if (deadline.isZero()) {
                throw new Refusal(400, "deadline: \"0\" (expected: a positive duration such as \"10m\")");
            }
        }
        String name = member(text).backend().name();
        if (registry.state(name, state, deadline) == null) {
            throw new Refusal(404, "backend " + name + ": not a member");
        }
        log(request, "backend " + name + " state " + state.name().toLowerCase(Locale.ROOT)
                + (deadline == null ? "" : ", its connections closed over " + Durations.format(deadline)));
        answerWhenApplied(exchange, 200, name);
    }

    private void weight(HttpServer.Request request, String text, HttpServer.Exchange exchange) {
        Map<String, Object> body = object(request, "weight");
        int weight = integer(body, "weight", 1, Backend.MAX_WEIGHT);
        String name = member(text).backend().name();
        if (registry.weight(name, weight) == null) {
            throw new Refusal(404, "backend " + name + ": not a member");
        }
        log(request, "backend " + name + " weight " + weight);
        answerWhenApplied(exchange, 200, name);
    }

    // ---- connections, rebalance, explain ----

    private void connections(HttpServer.Request request, HttpServer.Exchange exchange) {
        Map<String, String> query = query(request, "backend", "limit");
        int limit = DEFAULT_CONNECTIONS_LIMIT;
        if (query.containsKey("limit")) {
            String text = query.get("limit");
            if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) < 1 || Integer.parseInt(text) > MAX_CONNECTIONS_LIMIT) {
                throw new Refusal(400, "limit: '" + text + "' (expected: 1-" + MAX_CONNECTIONS_LIMIT + ")");
            }
            limit = Integer.parseInt(text);
        }
        Predicate<ConnectionPair> filter = pair -> true;
        if (query.containsKey("backend")) {
            BackendState m = member(query.get("backend"));
            filter = pair -> pair.backend() == m;
        }
        int max = limit;
        engine.connectionsAsync(filter).whenComplete((handles, e) -> {
            if (e != null) {
                exchange.respond(new HttpServer.Response(503, JSON, error("the event loops did not answer")));
                return;
            }
            StringBuilder out = new StringBuilder(64 + 192 * Math.min(max, handles.size()))
                    .append("{\"connections\":[");
            for (int i = 0; i < handles.size() && i < max; i++) {
                PairHandle h = handles.get(i);
                if (i > 0) {
                    out.append(',');
                }
                out.append("{\"id\":\"").append(engine.connectionId(h)).append("\",\"client\":");
                Json.string(out, AddressText.format(h.client()));
                out.append(",\"backend\":");
                Json.string(out, h.backend().name());
                out.append(",\"age_ms\":").append(h.age().toMillis())
                        .append(",\"idle_ms\":").append(h.idle().toMillis())
                        .append(",\"bytes_to_backend\":").append(h.bytesToBackend())
                        .append(",\"bytes_to_client\":").append(h.bytesToClient()).append('}');
            }
            exchange.respond(ok(200, out.append("]}").toString()));
        });
    }

    private void close(HttpServer.Request request, String id, HttpServer.Exchange exchange) {
        Map<String, Object> body = object(request, "reason");
        Object reason = body.get("reason");
        if (!(reason instanceof String) || ((String) reason).isBlank()) {
            throw new Refusal(400, "reason: " + (reason == null ? "missing" : describe(reason))
                    + " (expected: a non-empty string)");
        }
        String text = (String) reason;
        if (text.length() > MAX_REASON_CHARS || text.chars().anyMatch(Character::isISOControl)) {
            throw new Refusal(400, "reason: over " + MAX_REASON_CHARS + " characters or with control characters "
                    + "(expected: one line of text)");
        }
        long number = id.matches("[0-9]{1,18}") ? Long.parseLong(id) : -1;
        engine.closeConnection(number, text).whenComplete((closed, e) -> {
            if (e == null && Boolean.TRUE.equals(closed)) {
                log(request, "closed connection " + id + " (" + text + ")");
                exchange.respond(ok(200, "{\"id\":\"" + id + "\",\"closed\":true}"));
            } else {
                exchange.respond(refusal(new Refusal(404, "connection '" + id + "': not open")));
            }
        });
    }

    private void rebalance(HttpServer.Request request, HttpServer.Exchange exchange) {
        object(request);
        engine.rebalanceNow().whenComplete((moving, e) -> {
            if (e != null) {
                exchange.respond(new HttpServer.Response(503, JSON, error("rebalance: " + e.getMessage())));
                return;
            }
            log(request, "rebalance: moving " + moving + " connections");
            exchange.respond(ok(200, "{\"moving\":" + moving + "}"));
        });
    }

    private void explain(HttpServer.Request request, HttpServer.Exchange exchange) {
        String json;
        try {
            json = ExplainJson.render(engine.explain(ExplainJson.client(request.query())));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new Refusal(400, e.getMessage());
        }
        exchange.respond(ok(200, json));
    }

    private void log(HttpServer.Request request, String change) {
        engine.adminChange();
        changes.accept("admin " + AddressText.format(request.peer()) + ": " + change);
    }
}
