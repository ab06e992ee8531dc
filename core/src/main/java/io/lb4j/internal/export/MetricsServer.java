package io.lb4j.internal.export;

import io.lb4j.BalancerStats;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Handler;
import io.lb4j.internal.loop.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A tiny HTTP/1.1 server for {@code GET /metrics} (Prometheus text), {@code GET /stats} and
 * {@code GET /explain?client=IP:PORT} (JSON; also, in front-health mode, the front-door endpoint),
 * running on one of the engine's own event loops so that operations cost no extra thread. Every
 * exchange is bounded: a request head of at most {@value #MAX_HEAD_BYTES} bytes, {@value
 * #MAX_EXCHANGES} exchanges at once, {@value #EXCHANGE_TIMEOUT_MS} ms per exchange, one request per
 * connection ({@code Connection: close}).
 */
public final class MetricsServer implements Handler {
    static final int MAX_HEAD_BYTES = 8192;
    static final int MAX_EXCHANGES = 64;
    static final long EXCHANGE_TIMEOUT_MS = 10_000;
    private static final int ACCEPTS_PER_EVENT = 16;

    private final EventLoop loop;
    private final ServerSocketChannel server;
    private final InetSocketAddress address;
    private final Supplier<CompletableFuture<BalancerStats>> stats;
    private final Faults faults;
    private SelectionKey key;
    private int exchanges;
    /** {@code GET /explain?QUERY}: the query string to JSON; throws IllegalArgumentException for a 400. */
    private volatile Function<String, String> explain;
    /** {@code GET /metrics}: a snapshot to Prometheus text. */
    private volatile Function<BalancerStats, String> prometheus = PrometheusText::render;
    /** Set for a front-door health endpoint: every GET is answered 200 or 503 from it, nothing else. */
    private BooleanSupplier frontHealthy;

    private MetricsServer(EventLoop loop, ServerSocketChannel server, InetSocketAddress address,
                          Supplier<CompletableFuture<BalancerStats>> stats, Faults faults) {
        this.loop = loop;
        this.server = server;
        this.address = address;
        this.stats = stats;
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
        ServerSocketChannel channel = null;
        try {
            InetSocketAddress address = requested.isUnresolved()
                    ? new InetSocketAddress(InetAddress.getByName(requested.getHostString()), requested.getPort())
                    : requested;
            channel = ServerSocketChannel.open();
            channel.bind(address, 64);
            channel.configureBlocking(false);
            return new MetricsServer(loop, channel, (InetSocketAddress) channel.getLocalAddress(), stats, faults);
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // failing already
                }
            }
            throw new UncheckedIOException("metrics " + requested.getHostString() + ":" + requested.getPort()
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * A front-door health endpoint instead of metrics: answers every {@code GET} with 200 while
     * {@code healthy} says so, else 503; call {@link #register()} on the loop to start serving.
     *
     * @throws UncheckedIOException naming the address when it cannot be bound
     */
    public static MetricsServer bindFrontHealth(InetSocketAddress requested, EventLoop loop, BooleanSupplier healthy,
                                                Faults faults) {
        MetricsServer server;
        try {
            server = bind(requested, loop, () -> CompletableFuture.failedFuture(new IllegalStateException()), faults);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("front-health" + e.getMessage().substring("metrics".length()),
                    e.getCause());
        }
        server.frontHealthy = healthy;
        return server;
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
        return address;
    }

    /** The loop it serves on. */
    public EventLoop loop() {
        return loop;
    }

    /** Starts accepting; on the loop's thread. */
    public void register() throws IOException {
        key = server.register(loop.selector(), SelectionKey.OP_ACCEPT, this);
    }

    /** Stops accepting; on the loop's thread (exchanges in flight finish or time out). */
    public void stop() {
        if (key != null) {
            key.cancel();
        }
        close();
    }

    /** Closes the listening channel; from any thread (for a start that failed before register). */
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            faults.record("metrics close", e);
        }
    }

    @Override
    public void ready(SelectionKey k, int readyOps) {
        for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                faults.record("metrics accept", e);
                return;
            }
            if (channel == null) {
                return;
            }
            if (exchanges >= MAX_EXCHANGES) {
                closeQuietly(channel);
                continue;
            }
            try {
                channel.configureBlocking(false);
                Exchange exchange = new Exchange(channel);
                exchange.key = channel.register(loop.selector(), SelectionKey.OP_READ, exchange);
                exchanges++;
                loop.timers().schedule(exchange, loop.nowNs() + EXCHANGE_TIMEOUT_MS * 1_000_000);
            } catch (IOException e) {
                closeQuietly(channel);
            }
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the client left
        }
    }

    /** One request and its response on one connection. */
    private final class Exchange extends Timer implements Handler {
        private final SocketChannel channel;
        private final ByteBuffer in = ByteBuffer.allocate(MAX_HEAD_BYTES);
        private SelectionKey key;
        private ByteBuffer out;
        private boolean done;

        Exchange(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void ready(SelectionKey k, int readyOps) {
            if (done) {
                return;
            }
            if ((readyOps & SelectionKey.OP_WRITE) != 0 && out != null) {
                write();
                return;
            }
            if ((readyOps & SelectionKey.OP_READ) != 0 && out == null) {
                read();
            }
        }

        private void read() {
            int n;
            try {
                n = channel.read(in);
            } catch (IOException e) {
                finish();
                return;
            }
            if (n < 0) {
                finish();
                return;
            }
            int end = headEnd();
            if (end < 0) {
                if (!in.hasRemaining()) {
                    respond(431, "text/plain; charset=utf-8", "request head too large\n");
                }
                return;
            }
            String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
            int lineEnd = head.indexOf('\n');
            String[] line = (lineEnd >= 0 ? head.substring(0, lineEnd) : head).trim().split(" ");
            if (line.length != 3 || !line[2].startsWith("HTTP/1.")) {
                respond(400, "text/plain; charset=utf-8", "bad request\n");
                return;
            }
            String path = line[1];
            int query = path.indexOf('?');
            if (query >= 0) {
                path = path.substring(0, query);
            }
            String queryString = query >= 0 ? line[1].substring(query + 1) : "";
            if (frontHealthy != null) {
                if (!line[0].equals("GET")) {
                    respond(405, "text/plain; charset=utf-8", "method not allowed (expected: GET)\n");
                } else if (frontHealthy.getAsBoolean()) {
                    respond(200, "text/plain; charset=utf-8", "healthy\n");
                } else {
                    respond(503, "text/plain; charset=utf-8", "unhealthy\n");
                }
                return;
            }
            boolean metrics = path.equals("/metrics");
            boolean explaining = path.equals("/explain") && explain != null;
            if (!metrics && !explaining && !path.equals("/stats")) {
                respond(404, "text/plain; charset=utf-8", "not found (try /metrics, /stats or /explain)\n");
                return;
            }
            if (!line[0].equals("GET")) {
                respond(405, "text/plain; charset=utf-8", "method not allowed (expected: GET)\n");
                return;
            }
            if (explaining) {
                String json;
                try {
                    json = explain.apply(queryString);
                } catch (IllegalArgumentException | IllegalStateException e) {
                    respond(400, "text/plain; charset=utf-8", e.getMessage() + "\n");
                    return;
                }
                respond(200, StatsJson.CONTENT_TYPE, json);
                return;
            }
            key.interestOps(0);
            stats.get().whenComplete((snapshot, failure) -> loop.execute(() -> {
                if (failure != null) {
                    faults.record("metrics snapshot", failure);
                    respond(500, "text/plain; charset=utf-8", "snapshot failed\n");
                } else if (metrics) {
                    respond(200, PrometheusText.CONTENT_TYPE, prometheus.apply(snapshot));
                } else {
                    respond(200, StatsJson.CONTENT_TYPE, StatsJson.render(snapshot));
                }
            }));
        }

        /** Index just past the blank line ending the head, or -1 (RFC 9112 §2.2 allows bare LF). */
        private int headEnd() {
            byte[] bytes = in.array();
            for (int i = 1; i < in.position(); i++) {
                if (bytes[i] == '\n' && (bytes[i - 1] == '\n'
                        || (i >= 3 && bytes[i - 1] == '\r' && bytes[i - 2] == '\n' && bytes[i - 3] == '\r'))) {
                    return i + 1;
                }
            }
            return -1;
        }

        private void respond(int status, String type, String body) {
            if (done) {
                return;
            }
            byte[] content = body.getBytes(StandardCharsets.UTF_8);
            String head = "HTTP/1.1 " + status + " " + reasonPhrase(status) + "\r\n"
                    + "Content-Type: " + type + "\r\n"
                    + "Content-Length: " + content.length + "\r\n"
                    + "Cache-Control: no-store\r\n"
                    + "Connection: close\r\n\r\n";
            byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
            out = ByteBuffer.allocate(headBytes.length + content.length).put(headBytes).put(content).flip();
            write();
        }

        private void write() {
            try {
                channel.write(out);
            } catch (IOException e) {
                finish();
                return;
            }
            if (out.hasRemaining()) {
                if (key.isValid()) {
                    key.interestOps(SelectionKey.OP_WRITE);
                }
                return;
            }
            finish();
        }

        private void finish() {
            if (done) {
                return;
            }
            done = true;
            exchanges--;
            loop.timers().cancel(this);
            key.cancel();
            closeQuietly(channel);
        }

        @Override
        protected void expired(long nowNs) {
            finish();
        }
    }

    private static String reasonPhrase(int status) {
        switch (status) {
            case 200: return "OK";
            case 503: return "Service Unavailable";
            case 400: return "Bad Request";
            case 404: return "Not Found";
            case 405: return "Method Not Allowed";
            case 431: return "Request Header Fields Too Large";
            default: return "Internal Server Error";
        }
    }
}
