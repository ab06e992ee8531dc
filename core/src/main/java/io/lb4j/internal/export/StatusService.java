package io.lb4j.internal.export;

import io.lb4j.BalancerStats;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The status endpoints: {@code GET /metrics} (Prometheus text), {@code GET /stats} and
 * {@code GET /explain?client=IP:PORT} (JSON). A {@link HttpServer.Service} on one of the engine's
 * loops, so operations cost no thread of their own, bounded as {@link HttpServer.Limits#READ_ONLY}.
 * The snapshot comes from the engine without blocking the loop; rendering waits until it is in.
 */
public final class StatusService implements HttpServer.Service {
    private static final String TEXT = "text/plain; charset=utf-8";

    private final Supplier<CompletableFuture<BalancerStats>> stats;
    private final Function<BalancerStats, String> prometheus;
    private final Function<String, String> explain;
    private final Faults faults;

    private StatusService(Supplier<CompletableFuture<BalancerStats>> stats, Function<BalancerStats, String> prometheus,
                          Function<String, String> explain, Faults faults) {
        this.stats = stats;
        this.prometheus = prometheus;
        this.explain = explain;
        this.faults = faults;
    }

    /**
     * Binds {@code requested} (a plain bind, where an address in use fails, unless {@code reusePort}:
     * then {@code SO_REUSEPORT}, so that a successor in a hand-over can bind it too); call
     * {@link HttpServer#register()} on the loop to start serving.
     *
     * @param stats a snapshot that completes without blocking the loop
     * @param prometheus a snapshot to the text {@code GET /metrics} serves
     * @param explain {@code GET /explain}'s query string to JSON; throws {@link IllegalArgumentException}
     *     or {@link IllegalStateException} for a 400
     * @throws UncheckedIOException naming the address when it cannot be bound
     */
    public static HttpServer bind(InetSocketAddress requested, EventLoop loop,
                                  Supplier<CompletableFuture<BalancerStats>> stats,
                                  Function<BalancerStats, String> prometheus, Function<String, String> explain,
                                  Faults faults, boolean reusePort) {
        return HttpServer.bind("metrics", requested, loop, HttpServer.Limits.READ_ONLY,
                new StatusService(stats, prometheus, explain, faults), null, faults, reusePort);
    }

    @Override
    public void handle(HttpServer.Request request, HttpServer.Exchange exchange) {
        String path = request.path();
        boolean metrics = path.equals("/metrics");
        boolean explaining = path.equals("/explain");
        if (!metrics && !explaining && !path.equals("/stats")) {
            exchange.respond(new HttpServer.Response(404, TEXT, "not found (try /metrics, /stats or /explain)\n"));
            return;
        }
        if (!request.method().equals("GET")) {
            exchange.respond(new HttpServer.Response(405, TEXT, "method not allowed (expected: GET)\n",
                    List.of("Allow: GET")));
            return;
        }
        if (explaining) {
            try {
                exchange.respond(new HttpServer.Response(200, StatsJson.CONTENT_TYPE, explain.apply(request.query())));
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
