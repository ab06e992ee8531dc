package io.lb4j.internal.export;

import io.lb4j.BalancerStats;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code GET /metrics} (Prometheus text), {@code GET /stats} and {@code GET /explain?client=IP:PORT}
 * (JSON); or, in front-health mode, the front-door endpoint. A {@link HttpServer.Service} on the
 * engine's one HTTP server, so that operations cost no extra thread. Bounded as every exchange of
 * that server: a request head of at most {@value #MAX_HEAD_BYTES} bytes, {@value #MAX_EXCHANGES}
 * exchanges at once, {@value #EXCHANGE_TIMEOUT_MS} ms per exchange, one request per connection.
 */
public final class MetricsServer implements HttpServer.Service {
    static final int MAX_HEAD_BYTES = 8192;
    static final int MAX_EXCHANGES = 64;
    static final long EXCHANGE_TIMEOUT_MS = 10_000;
    private static final HttpServer.Limits LIMITS = new HttpServer.Limits(MAX_HEAD_BYTES, MAX_HEAD_BYTES,
            MAX_EXCHANGES, EXCHANGE_TIMEOUT_MS * 1_000_000, EXCHANGE_TIMEOUT_MS * 1_000_000);
    private static final String TEXT = "text/plain; charset=utf-8";

    private final Supplier<CompletableFuture<BalancerStats>> stats;
    private final Faults faults;
    private final BooleanSupplier frontHealthy;
    private HttpServer server;
    /** {@code GET /explain?QUERY}: the query string to JSON; throws IllegalArgumentException for a 400. */
    private volatile Function<String, String> explain;
    /** {@code GET /metrics}: a snapshot to Prometheus text. */
    private volatile Function<BalancerStats, String> prometheus = PrometheusText::render;

    private MetricsServer(Supplier<CompletableFuture<BalancerStats>> stats, BooleanSupplier frontHealthy,
                          Faults faults) {
        this.stats = stats;
        this.frontHealthy = frontHealthy;
        this.faults = faults;
    }

    /**
     * Binds {@code requested} (a plain bind: an address in use fails here); call {@link #register()}
     * on the loop to start serving.
     *
     * @throws UncheckedIOException naming the address when it cannot be bound
     */
    public static MetricsServer bind(InetSocketAddress requested, EventLoop loop,
                                     Supplier<CompletableFuture<BalancerStats>> stats, Faults faults) {
        return bind(requested, loop, stats, faults, false);
    }

    /**
     * As {@link #bind(InetSocketAddress, EventLoop, Supplier, Faults)}; with {@code reusePort} bound with
     * {@code SO_REUSEPORT} (no plain bind), so that a successor in a hand-over can bind it too.
     */
    public static MetricsServer bind(InetSocketAddress requested, EventLoop loop,
                                     Supplier<CompletableFuture<BalancerStats>> stats, Faults faults,
                                     boolean reusePort) {
        MetricsServer metrics = new MetricsServer(stats, null, faults);
        metrics.server = HttpServer.bind("metrics", requested, loop, LIMITS, metrics, null, faults, reusePort);
        return metrics;
    }

    /**
     * A front-door health endpoint instead of metrics: answers every {@code GET} with 200 while
     * {@code healthy} says so, else 503; call {@link #register()} on the loop to start serving.
     *
     * @throws UncheckedIOException naming the address when it cannot be bound
     */
    public static MetricsServer bindFrontHealth(InetSocketAddress requested, EventLoop loop, BooleanSupplier healthy,
                                                Faults faults) {
        return bindFrontHealth(requested, loop, healthy, faults, false);
    }

    /** As {@link #bindFrontHealth(InetSocketAddress, EventLoop, BooleanSupplier, Faults)}, shared as {@link #bind}. */
    public static MetricsServer bindFrontHealth(InetSocketAddress requested, EventLoop loop, BooleanSupplier healthy,
                                                Faults faults, boolean reusePort) {
        MetricsServer health = new MetricsServer(() -> CompletableFuture.failedFuture(new IllegalStateException()),
                healthy, faults);
        health.server = HttpServer.bind("front-health", requested, loop, LIMITS, health, null, faults, reusePort);
        return health;
    }

    /** Serves {@code GET /metrics} with {@code render} instead of the plain {@link PrometheusText#render}. */
    public void prometheus(Function<BalancerStats, String> render) {
        this.prometheus = render;
    }

    /** Serves {@code GET /explain?client=IP:PORT} with {@code render} (query string in, JSON out). */
    public void explain(Function<String, String> render) {
        this.explain = render;
    }

    /** The bound address (the real port when port 0 was asked for). */
    public InetSocketAddress address() {
        return server.address();
    }

    /** The loop it serves on. */
    public EventLoop loop() {
        return server.loop();
    }

    /** Starts accepting; on the loop's thread. */
    public void register() throws IOException {
        server.register();
    }

    /** Stops accepting; on the loop's thread (exchanges in flight finish or time out). */
    public void stop() {
        server.stop();
    }

    /** Closes the listening channel; from any thread (for a start that failed before register). */
    public void close() {
        server.close();
    }

    @Override
    public void handle(HttpServer.Request request, HttpServer.Exchange exchange) {
        boolean get = request.method().equals("GET");
        if (frontHealthy != null) {
            exchange.respond(!get ? new HttpServer.Response(405, TEXT, "method not allowed (expected: GET)\n",
                    java.util.List.of("Allow: GET"))
                    : frontHealthy.getAsBoolean() ? new HttpServer.Response(200, TEXT, "healthy\n")
                    : new HttpServer.Response(503, TEXT, "unhealthy\n"));
            return;
        }
        String path = request.path();
        boolean metrics = path.equals("/metrics");
        Function<String, String> explaining = path.equals("/explain") ? explain : null;
        if (!metrics && explaining == null && !path.equals("/stats")) {
            exchange.respond(new HttpServer.Response(404, TEXT, "not found (try /metrics, /stats or /explain)\n"));
            return;
        }
        if (!get) {
            exchange.respond(new HttpServer.Response(405, TEXT, "method not allowed (expected: GET)\n",
                    java.util.List.of("Allow: GET")));
            return;
        }
        if (explaining != null) {
            try {
                exchange.respond(new HttpServer.Response(200, StatsJson.CONTENT_TYPE, explaining.apply(request.query())));
            } catch (IllegalArgumentException | IllegalStateException e) {
                exchange.respond(new HttpServer.Response(400, TEXT, e.getMessage() + "\n"));
            }
            return;
        }
        stats.get().whenComplete((snapshot, failure) -> {
            if (failure != null) {
                faults.record("metrics snapshot", failure);
                exchange.respond(new HttpServer.Response(500, TEXT, "snapshot failed\n"));
                return;
            }
            try {
                exchange.respond(metrics
                        ? new HttpServer.Response(200, PrometheusText.CONTENT_TYPE, prometheus.apply(snapshot))
                        : new HttpServer.Response(200, StatsJson.CONTENT_TYPE, StatsJson.render(snapshot)));
            } catch (RuntimeException e) { // on a loop's thread, where nothing else would catch it
                faults.record("metrics render", e);
                exchange.respond(new HttpServer.Response(500, TEXT, "render failed\n"));
            }
        });
    }
}
