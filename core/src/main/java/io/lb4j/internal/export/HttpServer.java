package io.lb4j.internal.export;

import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.AcceptBackoff;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Handler;
import io.lb4j.internal.loop.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The engine's one HTTP/1.1 server (metrics, front-door health, admin API), running on one of its own
 * event loops so that operations cost no thread. One request per connection ({@code Connection:
 * close}); every exchange is bounded: head size, body size (declared by {@code Content-Length}; chunked
 * bodies are refused), exchanges at once (more are closed at accept), a deadline for the head and one
 * for the whole exchange. A peer cannot hold the listener or the loop: reads never block, a slot
 * is taken only by an accepted connection and freed at its deadline at the latest, and buffers are
 * allocated per exchange only up to the limits.
 */
public final class HttpServer implements Handler {
    private static final int ACCEPTS_PER_EVENT = 16;
    /** After an answer given before the request was read to its end: how long its rest is read away. */
    private static final long LINGER_NS = 2_000_000_000L;
    private static final int LINGER_MAX_BYTES = 1 << 20;
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    /**
     * What one exchange may cost.
     *
     * @param maxHeadBytes request line and headers, with the blank line
     * @param maxBodyBytes a declared body above this is answered 413 without being read
     * @param maxExchanges connections served at once; more are closed at accept
     * @param headTimeoutNs a connection whose head has not arrived by then is closed
     * @param exchangeTimeoutNs the whole exchange, from accept to the last byte of the answer
     */
    public record Limits(int maxHeadBytes, int maxBodyBytes, int maxExchanges, long headTimeoutNs,
                         long exchangeTimeoutNs) {
        /**
         * The read-only endpoints' (status and front-door health): a head of at most 8 KiB, 64 exchanges
         * at once, 10 s per exchange, one request per connection.
         */
        static final Limits READ_ONLY = new Limits(8192, 8192, 64, 10_000_000_000L, 10_000_000_000L);
    }

    /** A request: its head, and its body once read. */
    public static final class Request {
        private final String method;
        private final String target;
        private final Map<String, String> headers;
        private final InetSocketAddress peer;
        private byte[] body = new byte[0];

        Request(String method, String target, Map<String, String> headers, InetSocketAddress peer) {
            this.method = method;
            this.target = target;
            this.headers = headers;
            this.peer = peer;
        }

        /** The method, as sent ({@code GET}, {@code POST}, ...). */
        public String method() {
            return method;
        }

        /** The path, still percent-encoded, without the query. */
        public String path() {
            int q = target.indexOf('?');
            return q < 0 ? target : target.substring(0, q);
        }

        /** The query string without {@code ?}, still encoded; empty when none. */
        public String query() {
            int q = target.indexOf('?');
            return q < 0 ? "" : target.substring(q + 1);
        }

        /** A header's value by its lower-case name, or {@code null}. */
        public String header(String lowerCaseName) {
            return headers.get(lowerCaseName);
        }

        /** The body (empty when none was sent). */
        public byte[] body() {
            return body;
        }

        /** The peer's address. */
        public InetSocketAddress peer() {
            return peer;
        }
    }

    /**
     * An answer.
     *
     * @param status the HTTP status code
     * @param contentType the body's media type
     * @param body the body, UTF-8 encoded on the wire
     * @param headers extra header lines ({@code Name: value}), each without its line end
     */
    public record Response(int status, String contentType, String body, List<String> headers) {
        /** An answer without extra headers. */
        public Response(int status, String contentType, String body) {
            this(status, contentType, body, List.of());
        }
    }

    /** What the server serves. Both methods run on the server's loop and must not block. */
    public interface Service {
        /**
         * Called once the head has arrived: an answer now (401, 404, 405, ...), given without reading
         * the body, or {@code null} to read the body and go on to {@link #handle}.
         */
        default Response head(Request request) {
            return null;
        }

        /** Called with the whole request; answer through {@code exchange}, at once or later from any thread. */
        void handle(Request request, Exchange exchange);

        /** How this service words the errors the server finds itself (400, 413, 431, 500). */
        default Response error(int status, String message) {
            return new Response(status, "text/plain; charset=utf-8", message + "\n");
        }
    }

    /** The way back to one client. */
    public interface Exchange {
        /** Sends the answer and ends the exchange; any thread; only the first call counts. */
        void respond(Response response);
    }

    private final EventLoop loop;
    private final ServerSocketChannel server;
    private final InetSocketAddress address;
    private final Limits limits;
    private final Service service;
    private final IntConsumer statuses;
    private final Faults faults;
    private final String name;
    private final AcceptBackoff backoff;
    private SelectionKey key;
    private int exchanges;
    private long refused;

    private HttpServer(String name, EventLoop loop, ServerSocketChannel server, InetSocketAddress address,
                       Limits limits, Service service, IntConsumer statuses, Faults faults) {
        this.name = name;
        this.loop = loop;
        this.server = server;
        this.address = address;
        this.limits = limits;
        this.service = service;
        this.statuses = statuses;
        this.faults = faults;
        this.backoff = new AcceptBackoff(loop, () -> {
            if (key != null && key.isValid()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
            }
        });
    }

    /**
     * Binds {@code requested} (a plain bind: an address in use fails here); call {@link #register()}
     * on the loop to start serving.
     *
     * @param name names the server in errors ({@code metrics}, {@code admin})
     * @param statuses told the status of every answer sent, on the loop; may be {@code null}
     * @throws UncheckedIOException naming the server and the address when it cannot be bound
     */
    public static HttpServer bind(String name, InetSocketAddress requested, EventLoop loop, Limits limits,
                                  Service service, IntConsumer statuses, Faults faults) {
        return bind(name, requested, loop, limits, service, statuses, faults, false);
    }

    /**
     * As {@link #bind(String, InetSocketAddress, EventLoop, Limits, Service, IntConsumer, Faults)}; with
     * {@code reusePort} bound with {@code SO_REUSEPORT}, so that a successor in a hand-over can bind it too.
     */
    public static HttpServer bind(String name, InetSocketAddress requested, EventLoop loop, Limits limits,
                                  Service service, IntConsumer statuses, Faults faults, boolean reusePort) {
        ServerSocketChannel channel = null;
        try {
            InetSocketAddress address = requested.isUnresolved()
                    ? new InetSocketAddress(InetAddress.getByName(requested.getHostString()), requested.getPort())
                    : requested;
            channel = ServerSocketChannel.open();
            if (reusePort) {
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            channel.bind(address, 64);
            channel.configureBlocking(false);
            return new HttpServer(name, loop, channel, (InetSocketAddress) channel.getLocalAddress(), limits, service,
                    statuses, faults);
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // failing already
                }
            }
            throw new UncheckedIOException(name + " " + requested.getHostString() + ":" + requested.getPort()
                    + ": " + e.getMessage(), e);
        }
    }

    /** The bound address (the real port when port 0 was asked for). */
    public InetSocketAddress address() {
        return address;
    }

    /** The loop it serves on. */
    public EventLoop loop() {
        return loop;
    }

    /** Connections closed at accept because {@link Limits#maxExchanges()} were open; read on the loop. */
    public long refused() {
        return refused;
    }

    /** Starts accepting; on the loop's thread. */
    public void register() throws IOException {
        key = server.register(loop.selector(), SelectionKey.OP_ACCEPT, this);
    }

    /** Stops accepting; on the loop's thread (exchanges in flight finish or time out). */
    public void stop() {
        backoff.cancel();
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
            faults.record(name + " close", e);
        }
    }

    @Override
    public void ready(SelectionKey k, int readyOps) {
        for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                // out of descriptors, typically: the listener stays ready, so back off instead of spinning
                faults.record(name + " accept", e);
                backoff.pause(key);
                return;
            }
            if (channel == null) {
                backoff.succeeded();
                return;
            }
            if (exchanges >= limits.maxExchanges()) {
                refused++;
                closeQuietly(channel);
                continue;
            }
            try {
                channel.configureBlocking(false);
                InetSocketAddress peer = (InetSocketAddress) channel.getRemoteAddress();
                Conversation c = new Conversation(channel, peer);
                c.key = channel.register(loop.selector(), SelectionKey.OP_READ, c);
                loop.timers().schedule(c, c.acceptedNs + limits.headTimeoutNs());
                exchanges++;
            } catch (IOException e) {
                closeQuietly(channel);
            } catch (RuntimeException e) {
                // a fault costs this one connection; the listener goes on
                faults.record(name + " accept", e);
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

    /** The reason phrase of the statuses this server sends. */
    static String reasonPhrase(int status) {
        switch (status) {
            case 200: return "OK";
            case 201: return "Created";
            case 400: return "Bad Request";
            case 401: return "Unauthorized";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 405: return "Method Not Allowed";
            case 413: return "Content Too Large";
            case 431: return "Request Header Fields Too Large";
            case 503: return "Service Unavailable";
            default: return "Internal Server Error";
        }
    }

    /** One request and its answer on one connection. */
    private final class Conversation extends Timer implements Handler, Exchange {
        private static final int HEAD = 0;
        private static final int BODY = 1;
        private static final int HANDLING = 2;
        private static final int WRITING = 3;
        private static final int LINGERING = 4;
        private static final int DONE = 5;

        private final SocketChannel channel;
        private final InetSocketAddress peer;
        private final long acceptedNs = loop.nowNs();
        private final ByteBuffer in = ByteBuffer.allocate(limits.maxHeadBytes());
        private SelectionKey key;
        private int state = HEAD;
        private Request request;
        private ByteBuffer body;
        private ByteBuffer out;
        /** Whether the whole request, and nothing after it, has been read (else the answer lingers). */
        private boolean consumed;
        private int lingered;

        Conversation(SocketChannel channel, InetSocketAddress peer) {
            this.channel = channel;
            this.peer = peer;
        }

        @Override
        public void ready(SelectionKey k, int readyOps) {
            try {
                if (state == WRITING && (readyOps & SelectionKey.OP_WRITE) != 0) {
                    write();
                } else if ((readyOps & SelectionKey.OP_READ) != 0) {
                    if (state == HEAD) {
                        readHead();
                    } else if (state == BODY) {
                        readBody();
                    } else if (state == LINGERING) {
                        linger();
                    }
                }
            } catch (IOException e) {
                finish();
            } catch (RuntimeException e) {
                // a fault costs this one exchange (and its slot), never the server
                faults.record(name + " exchange", e);
                finish();
            }
        }

        private void readHead() throws IOException {
            if (channel.read(in) < 0) {
                finish();
                return;
            }
            int end = headEnd();
            if (end < 0) {
                if (!in.hasRemaining()) {
                    answer(service.error(431, "request head over " + limits.maxHeadBytes() + " bytes"));
                }
                return;
            }
            loop.timers().cancel(this);
            loop.timers().schedule(this, acceptedNs + limits.exchangeTimeoutNs());
            String error = parseHead(new String(in.array(), 0, end, StandardCharsets.ISO_8859_1));
            if (error != null) {
                answer(service.error(400, error));
                return;
            }
            Response early;
            try {
                early = service.head(request);
            } catch (RuntimeException e) {
                faults.record(name + " request", e);
                early = service.error(500, "internal error");
            }
            if (early != null) {
                answer(early);
                return;
            }
            long length;
            String declared = request.header("content-length");
            if (request.header("transfer-encoding") != null) {
                answer(service.error(400, "body: chunked transfer coding not accepted (send Content-Length)"));
                return;
            }
            if (declared == null) {
                length = 0;
            } else if (declared.matches("[0-9]{1,12}")) {
                length = Long.parseLong(declared);
            } else {
                answer(service.error(400, "Content-Length: '" + declared + "' (expected: a byte count)"));
                return;
            }
            if (length > limits.maxBodyBytes()) {
                answer(service.error(413, "body: " + length + " bytes (expected: at most " + limits.maxBodyBytes()
                        + ")"));
                return;
            }
            body = ByteBuffer.allocate((int) length);
            int extra = in.position() - end;
            body.put(in.array(), end, Math.min(extra, body.capacity()));
            boolean trailing = extra > body.capacity();
            if (body.hasRemaining()) {
                state = BODY;
                String expect = request.header("expect");
                if (expect != null && expect.equalsIgnoreCase("100-continue")) {
                    channel.write(ByteBuffer.wrap(CONTINUE)); // a fresh socket takes 25 bytes; if not, the client goes on after its wait
                }
                return;
            }
            consumed = !trailing;
            dispatch();
        }

        private void readBody() throws IOException {
            if (channel.read(body) < 0) {
                finish();
                return;
            }
            if (!body.hasRemaining()) {
                consumed = true;
                dispatch();
            }
        }

        private void dispatch() {
            state = HANDLING;
            key.interestOps(0);
            request.body = body.array();
            body = null;
            try {
                service.handle(request, this);
            } catch (RuntimeException e) {
                faults.record(name + " request", e);
                answer(service.error(500, "internal error"));
            }
        }

        /** Parses the request line and the headers; an error text for a 400, or {@code null}. */
        private String parseHead(String head) {
            String[] lines = head.split("\r?\n");
            String[] line = lines[0].split(" ", -1);
            if (line.length != 3 || !line[2].startsWith("HTTP/1.") || line[0].isEmpty() || line[1].isEmpty()) {
                return "bad request line";
            }
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                String h = lines[i];
                if (h.isEmpty()) {
                    continue;
                }
                int colon = h.indexOf(':');
                if (colon <= 0 || h.charAt(0) == ' ' || h.charAt(0) == '\t' || h.charAt(colon - 1) == ' ') {
                    return "bad header line";
                }
                String name = h.substring(0, colon).toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).strip();
                if (headers.putIfAbsent(name, value) != null
                        && (name.equals("content-length") || name.equals("authorization") || name.equals("host"))) {
                    return "header " + name + " given twice";
                }
            }
            request = new Request(line[0], line[1], Collections.unmodifiableMap(headers), peer);
            return null;
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

        @Override
        public void respond(Response response) {
            if (loop.inLoop()) {
                answer(response);
            } else {
                loop.execute(() -> answer(response));
            }
        }

        /** Queues the answer and writes what the socket takes; on the loop. */
        private void answer(Response response) {
            if (state >= WRITING) {
                return;
            }
            state = WRITING;
            if (statuses != null) {
                statuses.accept(response.status());
            }
            byte[] content = response.body().getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder(160).append("HTTP/1.1 ").append(response.status()).append(' ')
                    .append(reasonPhrase(response.status())).append("\r\n")
                    .append("Content-Type: ").append(response.contentType()).append("\r\n")
                    .append("Content-Length: ").append(content.length).append("\r\n")
                    .append("Cache-Control: no-store\r\n");
            for (String h : response.headers()) {
                head.append(h).append("\r\n");
            }
            head.append("Connection: close\r\n\r\n");
            byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
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
            out = null;
            if (consumed) {
                finish();
                return;
            }
            // answered before the request was read to its end: closing now with unread bytes would
            // send a RST, which can destroy the answer in the client's receive queue (RFC 9112 §9.6);
            // so send FIN and read the rest away for a while first, as nginx's lingering close does
            state = LINGERING;
            try {
                channel.shutdownOutput();
            } catch (IOException e) {
                finish();
                return;
            }
            loop.timers().cancel(this);
            loop.timers().schedule(this, loop.nowNs() + LINGER_NS);
            if (key.isValid()) {
                key.interestOps(SelectionKey.OP_READ);
            }
        }

        private void linger() throws IOException {
            in.clear();
            int n = channel.read(in);
            lingered += Math.max(0, n);
            if (n < 0 || lingered > LINGER_MAX_BYTES) {
                finish();
            }
        }

        private void finish() {
            if (state == DONE) {
                return;
            }
            state = DONE;
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
}
