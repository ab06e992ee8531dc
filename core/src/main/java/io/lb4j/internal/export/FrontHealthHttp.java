package io.lb4j.internal.export;

import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The front-door health endpoint in HTTP mode, for front balancers whose probe is an HTTP request
 * (Azure Load Balancer's HTTP probe, an ALB target group): every {@code GET}, whatever its path, is
 * answered 200 {@code healthy} while lb4j is healthy, else 503 {@code unhealthy}. A
 * {@link HttpServer.Service} on one of the engine's loops, bounded as {@link HttpServer.Limits#READ_ONLY};
 * {@link FrontHealthTcp} is the TCP mode.
 */
public final class FrontHealthHttp implements HttpServer.Service {
    private static final String TEXT = "text/plain; charset=utf-8";

    private final BooleanSupplier healthy;

    private FrontHealthHttp(BooleanSupplier healthy) {
        this.healthy = healthy;
    }

    /**
     * Binds {@code requested} (a plain bind, where an address in use fails, unless {@code reusePort}:
     * then {@code SO_REUSEPORT}, so that a successor in a hand-over can bind it too); call
     * {@link HttpServer#register()} on the loop to start serving.
     *
     * @param healthy asked once per request, on the loop: must be fast and lock-free
     * @throws UncheckedIOException naming the address when it cannot be bound
     */
    public static HttpServer bind(InetSocketAddress requested, EventLoop loop, BooleanSupplier healthy,
                                  Faults faults, boolean reusePort) {
        return HttpServer.bind("front-health", requested, loop, HttpServer.Limits.READ_ONLY,
                new FrontHealthHttp(healthy), null, faults, reusePort);
    }

    @Override
    public void handle(HttpServer.Request request, HttpServer.Exchange exchange) {
        exchange.respond(!request.method().equals("GET")
                ? new HttpServer.Response(405, TEXT, "method not allowed (expected: GET)\n", List.of("Allow: GET"))
                : healthy.getAsBoolean() ? new HttpServer.Response(200, TEXT, "healthy\n")
                : new HttpServer.Response(503, TEXT, "unhealthy\n"));
    }
}
