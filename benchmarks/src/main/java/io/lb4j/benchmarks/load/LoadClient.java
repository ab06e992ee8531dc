package io.lb4j.benchmarks.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The load generator: one non-blocking thread driving many connections with several requests or
 * messages in flight on each, so that one client core can load a balancer's core; it reports its own
 * CPU next to every figure so a reader can see when it, not the balancer, was the limit. Every
 * response byte is checked, so a balancer that corrupts or drops traffic shows up as errors.
 */
public final class LoadClient {
    /** The workloads of BENCHMARKS.md. */
    public enum Workload {
        /** HTTP/1.1 keep-alive small request/response; figure: requests/s. */
        RR("req/s"),
        /** WebSocket echo of 64-byte binary messages; figure: messages/s. */
        WS_ECHO("msg/s"),
        /** A new connection per request; figure: connections/s. */
        CONN("conn/s"),
        /** One stream each way; figure: Gbit/s, both directions added. */
        BULK("Gbit/s"),
        /** Idle WebSocket connections held open; figure: KiB of proxy RSS per connection. */
        WS_IDLE("KiB/conn");

        final String unit;

        Workload(String unit) {
            this.unit = unit;
        }

        /** The command-line name ({@code ws-echo}). */
        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Workload parse(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** What to run; fields are plain so the command line and tests can fill them. */
    public static final class Config {
        /** The workload. */
        public Workload workload = Workload.RR;
        /** Where to connect: the balancer, or a backend for "direct". */
        public InetSocketAddress target;
        /** Connections (rr, ws-echo, ws-idle) or concurrent connection attempts (conn). */
        public int connections = 64;
        /** Requests or messages in flight per connection. */
        public int depth = 4;
        /** Seconds of the same load before measuring. */
        public double warmupSeconds = 5;
        /** Seconds measured. */
        public double durationSeconds = 10;
        /** The balancer's process, for CPU and RSS; 0 = none (direct, or in-process). */
        public long proxyPid;
        /** The backends' process, for its CPU; 0 = none. */
        public long backendPid;
        /** Run {@code jcmd PID GC.run} on the proxy before reading its RSS (ws-idle, a JVM proxy). */
        public boolean proxyJava;
        /** Label of the thing measured, printed with the result. */
        public String label = "target";
        /** ws-idle: seconds to keep the connections open after measuring, for inspecting the proxy. */
        public double holdSeconds;
        /**
         * ws-idle: seconds between the full GC and reading RSS, at the baseline and at the end, so that
         * a proxy that gives memory back on a timer (the JVM's native-heap trim, an allocator) is read
         * in the state an operator would see a moment later; the same for every target.
         */
        public double settleSeconds = 6;
        /** ws-idle: while holding, reopen every connection the proxy closes (a client that reconnects). */
        public boolean reconnect;
        /**
         * Name prefixes (comma-separated) of threads in the proxy's process that work for something else
         * than the proxy (the host of an embedded balancer, and the collector that cleans up after it):
         * their CPU is left out of the proxy's and reported as {@code hostCpuPct}.
         */
        public String hostThreads;
        /** Called when measuring starts and ends (in-process profiling); {@code null} = nothing. */
        public Runnable atMeasureStart;
        /** See {@link #atMeasureStart}. */
        public Runnable atMeasureEnd;
        /** Run number, printed with the result. */
        public int run = 1;
    }

    /** The outcome of one measured run. */
    public static final class Result {
        /** Name/value pairs in print order. */
        public final Map<String, String> values = new LinkedHashMap<>();
        /** Operations completed and checked during the measured period (for ws-idle: connections). */
        public long ops;
        /** Protocol errors, resets and failed connects, over warm-up and measurement. */
        public long errors;

        /** The one-line form {@code RESULT key=value ...} that {@link Table} reads. */
        public String line() {
            StringBuilder s = new StringBuilder("RESULT");
            values.forEach((k, v) -> s.append(' ').append(k).append('=').append(v));
            return s.toString();
        }
    }

    static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: lb4j\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] CLOSE_REQUEST = "GET / HTTP/1.1\r\nHost: lb4j\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    private static final int WS_PAYLOAD = 64;
    private static final int IDLE_HANDSHAKES_IN_FLIGHT = 256;

    private final Config config;
    private final Selector selector;
    private final ByteBuffer in = ByteBuffer.allocateDirect(256 * 1024);
    private final ByteBuffer bulkOut = ByteBuffer.allocateDirect(256 * 1024);
    private final Histogram latency = new Histogram();
    private final List<Conn> conns = new ArrayList<>();
    private long ops;
    private long errors;
    private long bytesUp;
    private long bytesDown;
    private int established;
    private int handshaking;
    private long now;

    private LoadClient(Config config) throws IOException {
        this.config = config;
        this.selector = Selector.open();
        while (bulkOut.hasRemaining()) {
            bulkOut.put((byte) ('A' + bulkOut.position() % 26));
        }
    }

    /** Runs one measured run (warm-up included) and returns its figures. */
    public static Result run(Config config) throws IOException {
        LoadClient client = new LoadClient(config);
        try {
            return client.execute();
        } finally {
            client.closeAll();
        }
    }

    private Result execute() throws IOException {
        waitForListener();
        if (config.workload == Workload.WS_IDLE) {
            return idle();
        }
        if (config.workload == Workload.BULK) {
            open(new BulkConn(true));
            open(new BulkConn(false));
        } else {
            for (int i = 0; i < config.connections; i++) {
                open(newConn());
            }
        }
        long start = System.nanoTime();
        long warmEnd = start + seconds(config.warmupSeconds);
        long end = warmEnd + seconds(config.durationSeconds);
        pump(warmEnd);
        ops = 0;
        bytesUp = 0;
        bytesDown = 0;
        latency.reset();
        long measureStart = System.nanoTime();
        long clientCpu0 = ProcStat.cpuNs(ProcessHandle.current().pid());
        long proxyCpu0 = ProcStat.cpuNs(config.proxyPid);
        long proxySys0 = ProcStat.systemNs(config.proxyPid);
        long backendCpu0 = ProcStat.cpuNs(config.backendPid);
        long hostCpu0 = ProcStat.threadsCpuNs(config.proxyPid, config.hostThreads);
        if (config.atMeasureStart != null) {
            config.atMeasureStart.run();
        }
        pump(end);
        if (config.atMeasureEnd != null) {
            config.atMeasureEnd.run();
        }
        long elapsed = System.nanoTime() - measureStart;
        long clientCpu = ProcStat.cpuNs(ProcessHandle.current().pid()) - clientCpu0;
        long proxyCpu = ProcStat.cpuNs(config.proxyPid) - proxyCpu0;
        long proxySys = ProcStat.systemNs(config.proxyPid) - proxySys0;
        long backendCpu = ProcStat.cpuNs(config.backendPid) - backendCpu0;
        long hostCpu = ProcStat.threadsCpuNs(config.proxyPid, config.hostThreads) - hostCpu0;
        proxyCpu -= hostCpu;
        double secs = elapsed / 1e9;

        Result result = header();
        double rate = config.workload == Workload.BULK ? (bytesUp + bytesDown) * 8 / 1e9 / secs : ops / secs;
        result.values.put("rate", format(rate));
        result.values.put("ops", Long.toString(ops));
        result.values.put("p50us", Long.toString(latency.percentileUs(50)));
        result.values.put("p99us", Long.toString(latency.percentileUs(99)));
        result.values.put("p999us", Long.toString(latency.percentileUs(99.9)));
        if (config.workload == Workload.BULK) {
            result.values.put("upGbps", format(bytesUp * 8 / 1e9 / secs));
            result.values.put("downGbps", format(bytesDown * 8 / 1e9 / secs));
        }
        result.values.put("proxyCpuUsPerOp", config.proxyPid > 0 && ops > 0 && config.workload != Workload.BULK
                ? format(proxyCpu / 1000.0 / ops) : "-");
        // the kernel's share: what no user-space change can take away (host threads' system time included)
        result.values.put("proxySysUsPerOp", config.proxyPid > 0 && ops > 0 && config.workload != Workload.BULK
                ? format(proxySys / 1000.0 / ops) : "-");
        result.values.put("proxyCpuPct", config.proxyPid > 0 ? format(100.0 * proxyCpu / elapsed) : "-");
        result.values.put("clientCpuPct", format(100.0 * clientCpu / elapsed));
        result.values.put("backendCpuPct", config.backendPid > 0 ? format(100.0 * backendCpu / elapsed) : "-");
        if (config.hostThreads != null) {
            result.values.put("hostCpuPct", format(100.0 * hostCpu / elapsed));
        }
        result.values.put("seconds", format(secs));
        result.values.put("errors", Long.toString(errors));
        result.ops = ops;
        result.errors = errors;
        return result;
    }

    private Result idle() throws IOException {
        // warm the proxy's accept and relay paths so RSS growth is the connections, not class loading
        int warm = Math.min(500, config.connections);
        openIdle(warm, 30);
        for (Conn conn : new ArrayList<>(conns)) {
            conn.close();
        }
        conns.clear();
        established = 0;
        gcProxy();
        pump(System.nanoTime() + seconds(config.settleSeconds));
        long before = ProcStat.rssKiB(config.proxyPid);
        long opened = System.nanoTime();
        openIdle(config.connections, 120);
        double openSeconds = (System.nanoTime() - opened) / 1e9;
        gcProxy();
        pump(System.nanoTime() + seconds(config.settleSeconds));
        long after = ProcStat.rssKiB(config.proxyPid);
        System.err.println("ws-idle: " + established + " connections open; holding " + config.holdSeconds + " s");
        reconnecting = config.reconnect;
        pump(System.nanoTime() + seconds(0.2 + config.holdSeconds)); // any resets from the proxy land here
        Result result = header();
        boolean measured = before > 0 && after > 0 && established > 0;
        result.values.put("rate", measured ? format((after - before) / (double) established) : "-");
        result.values.put("ops", Integer.toString(established));
        result.values.put("rssBeforeKiB", Long.toString(before));
        result.values.put("rssAfterKiB", Long.toString(after));
        result.values.put("openSeconds", format(openSeconds));
        result.values.put("errors", Long.toString(errors));
        result.ops = established;
        result.errors = errors;
        return result;
    }

    private void openIdle(int count, int timeoutSeconds) throws IOException {
        long deadline = System.nanoTime() + seconds(timeoutSeconds);
        int started = 0;
        while (established < count && System.nanoTime() < deadline) {
            while (started < count && handshaking < IDLE_HANDSHAKES_IN_FLIGHT) {
                open(new WsConn(0));
                started++;
            }
            if (started >= count && established + errors >= count) {
                break;
            }
            select(10);
        }
    }

    private void gcProxy() {
        if (!config.proxyJava || config.proxyPid <= 0) {
            return;
        }
        try {
            Process jcmd = new ProcessBuilder("jcmd", Long.toString(config.proxyPid), "GC.run")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            jcmd.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            System.err.println("jcmd failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Result header() {
        Result result = new Result();
        result.values.put("workload", config.workload.label());
        result.values.put("target", config.label);
        result.values.put("run", Integer.toString(config.run));
        result.values.put("unit", config.workload.unit);
        result.values.put("conns", Integer.toString(config.workload == Workload.BULK ? 2 : config.connections));
        return result;
    }

    private boolean reconnecting;
    private long reconnects;

    private Conn newConn() {
        switch (config.workload) {
            case RR:
                return new HttpConn(config.depth, false);
            case CONN:
                return new HttpConn(1, true);
            case WS_ECHO:
                return new WsConn(config.depth);
            default:
                throw new IllegalStateException(config.workload.name());
        }
    }

    private void waitForListener() throws IOException {
        long deadline = System.nanoTime() + seconds(20);
        while (true) {
            try {
                SocketChannel.open(config.target).close();
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("nothing listens on " + config.target, e);
                }
                try {
                    Thread.sleep(50); // polling a listener that is still starting, with a deadline
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
    }

    private void pump(long untilNs) throws IOException {
        while (System.nanoTime() < untilNs) {
            select(50);
        }
    }

    private void select(long timeoutMs) throws IOException {
        selector.select(this::ready, timeoutMs);
    }

    private void ready(SelectionKey key) {
        Conn conn = (Conn) key.attachment();
        now = System.nanoTime();
        try {
            if (key.isConnectable()) {
                if (conn.channel.finishConnect()) {
                    conn.connected();
                }
                return;
            }
            if (key.isWritable()) {
                conn.writable();
            }
            if (key.isValid() && key.isReadable()) {
                conn.readable();
            }
        } catch (IOException | RuntimeException e) {
            conn.fail(e);
        }
    }

    private void open(Conn conn) throws IOException {
        SocketChannel channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        conn.channel = channel;
        conns.add(conn);
        conn.startNs = System.nanoTime();
        try {
            if (channel.connect(config.target)) {
                conn.key = channel.register(selector, 0, conn);
                conn.connected();
            } else {
                conn.key = channel.register(selector, SelectionKey.OP_CONNECT, conn);
            }
        } catch (IOException e) {
            if (conn.key == null) {
                conn.key = channel.register(selector, 0, conn);
            }
            conn.fail(e);
        }
    }

    private void closeAll() {
        for (Conn conn : new ArrayList<>(conns)) {
            conn.close();
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // done
        }
    }

    private static long seconds(double s) {
        return (long) (s * 1e9);
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, value >= 100 ? "%.0f" : "%.3g", value);
    }

    /** One client connection. */
    private abstract class Conn {
        SocketChannel channel;
        SelectionKey key;
        long startNs;
        ByteBuffer out;
        boolean closed;

        abstract void connected() throws IOException;

        abstract void readable() throws IOException;

        void writable() throws IOException {
            flush();
        }

        final void flush() throws IOException {
            out.flip();
            channel.write(out);
            boolean pending = out.hasRemaining();
            out.compact();
            key.interestOps(pending ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        /** Reads once into the shared buffer, flipped; -1 at end of stream. */
        final int read() throws IOException {
            in.clear();
            int n = channel.read(in);
            in.flip();
            return n;
        }

        void fail(Exception e) {
            if (reconnecting) {
                if (!closed) {
                    close();
                    reconnects++;
                    try {
                        open(new WsConn(0));
                    } catch (IOException again) {
                        errors++;
                    }
                }
                return;
            }
            if (!closed) {
                errors++;
                if (errors <= 3) {
                    System.err.println(config.label + " " + config.workload.label() + ": " + e);
                }
            }
            close();
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            conns.remove(this);
            if (key != null) {
                key.cancel();
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // gone
            }
        }
    }

    /** HTTP/1.1: keep-alive with {@code depth} pipelined requests, or one request per connection. */
    private final class HttpConn extends Conn {
        private final long[] sentNs;
        private final boolean oneShot;
        private int head;
        private int tail;
        private int match;

        HttpConn(int depth, boolean oneShot) {
            this.sentNs = new long[depth];
            this.oneShot = oneShot;
            this.out = ByteBuffer.allocateDirect(depth * CLOSE_REQUEST.length);
        }

        @Override
        void connected() throws IOException {
            if (oneShot) {
                out.put(CLOSE_REQUEST);
                sentNs[0] = startNs;
            } else {
                for (int i = 0; i < sentNs.length; i++) {
                    send();
                }
            }
            flush();
        }

        private void send() {
            out.put(REQUEST);
            sentNs[tail] = now;
            tail = (tail + 1) % sentNs.length;
        }

        @Override
        void readable() throws IOException {
            int sends = 0;
            for (int reads = 0; reads < 4; reads++) {
                int n = read();
                if (n < 0) {
                    endOfStream();
                    return;
                }
                if (n == 0) {
                    break;
                }
                bytesDown += n;
                while (in.hasRemaining()) {
                    byte b = in.get();
                    if (match >= BackendServer.RESPONSE.length || b != BackendServer.RESPONSE[match]) {
                        throw new IOException("unexpected response byte at " + match);
                    }
                    if (++match == BackendServer.RESPONSE.length && !oneShot) {
                        match = 0;
                        latency.record(now - sentNs[head]);
                        head = (head + 1) % sentNs.length;
                        ops++;
                        send();
                        sends++;
                    }
                }
            }
            if (sends > 0) {
                flush();
            }
        }

        private void endOfStream() throws IOException {
            if (!oneShot || match != BackendServer.RESPONSE.length) {
                throw new IOException("connection closed after " + match + " response bytes");
            }
            latency.record(now - startNs);
            ops++;
            close();
            open(new HttpConn(1, true));
        }

        @Override
        void fail(Exception e) {
            boolean wasOpen = !closed;
            super.fail(e);
            if (oneShot && wasOpen) {
                try {
                    open(new HttpConn(1, true)); // keep the offered concurrency: a failed attempt is replaced
                } catch (IOException again) {
                    errors++;
                }
            }
        }
    }

    /** WebSocket: the opening handshake, then {@code depth} masked 64-byte messages in flight. */
    private final class WsConn extends Conn {
        private static final int FRAME_OUT = 2 + 4 + WS_PAYLOAD;
        private static final int FRAME_IN = 2 + WS_PAYLOAD;
        private final int depth;
        private final byte[] frame = new byte[FRAME_IN];
        private int filled;
        private String expectedAccept;
        private ByteBuffer head;
        private int seed;

        WsConn(int depth) {
            this.depth = depth;
            this.out = ByteBuffer.allocateDirect(Math.max(512, depth * FRAME_OUT));
            handshaking++;
        }

        @Override
        void connected() throws IOException {
            byte[] nonce = new byte[16];
            seed = (int) (System.nanoTime() ^ System.identityHashCode(this)) | 1;
            for (int i = 0; i < nonce.length; i++) {
                nonce[i] = (byte) nextMask();
            }
            String key = Base64.getEncoder().encodeToString(nonce);
            expectedAccept = WebSocket.accept(key);
            out.put(("GET /ws HTTP/1.1\r\nHost: lb4j\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            flush();
        }

        private int nextMask() {
            seed ^= seed << 13; // xorshift: masks need only vary, not be secret, for a benchmark
            seed ^= seed >>> 17;
            seed ^= seed << 5;
            return seed;
        }

        private void send() {
            int mask = nextMask();
            out.put((byte) 0x82).put((byte) (0x80 | WS_PAYLOAD)).putInt(mask);
            long stamp = now;
            for (int i = 0; i < WS_PAYLOAD; i++) {
                int plain = i < 8 ? (int) (stamp >>> (56 - 8 * i)) : i;
                out.put((byte) (plain ^ (mask >>> (24 - 8 * (i & 3)))));
            }
        }

        @Override
        void readable() throws IOException {
            int sends = 0;
            for (int reads = 0; reads < 4; reads++) {
                int n = read();
                if (n < 0) {
                    throw new IOException("connection closed by peer");
                }
                if (n == 0) {
                    break;
                }
                bytesDown += n;
                if (expectedAccept != null && !handshake()) {
                    continue;
                }
                while (in.hasRemaining()) {
                    int take = Math.min(in.remaining(), FRAME_IN - filled);
                    in.get(frame, filled, take);
                    filled += take;
                    if (filled == FRAME_IN) {
                        filled = 0;
                        check();
                        ops++;
                        send();
                        sends++;
                    }
                }
            }
            if (sends > 0) {
                flush();
            }
        }

        private boolean handshake() throws IOException {
            if (head == null) {
                head = ByteBuffer.allocate(1024);
            }
            if (head.remaining() < in.remaining()) {
                throw new IOException("handshake response too long");
            }
            head.put(in);
            head.flip();
            int end = WebSocket.headerEnd(head);
            if (end < 0) {
                head.compact();
                return false;
            }
            byte[] bytes = new byte[end];
            head.get(bytes);
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            if (!text.startsWith("HTTP/1.1 101") || !expectedAccept.equals(WebSocket.header(text, "sec-websocket-accept"))) {
                throw new IOException("bad handshake response: " + text.lines().findFirst().orElse(""));
            }
            if (head.hasRemaining()) {
                throw new IOException("data before the first message");
            }
            expectedAccept = null;
            head = null;
            handshaking--;
            established++;
            for (int i = 0; i < depth; i++) {
                send();
            }
            if (depth > 0) {
                flush();
            }
            return true;
        }

        private void check() throws IOException {
            if ((frame[0] & 0xff) != 0x82 || frame[1] != WS_PAYLOAD) {
                throw new IOException("unexpected frame header " + (frame[0] & 0xff) + " " + frame[1]);
            }
            long stamp = 0;
            for (int i = 0; i < 8; i++) {
                stamp = stamp << 8 | (frame[2 + i] & 0xff);
            }
            for (int i = 8; i < WS_PAYLOAD; i++) {
                if (frame[2 + i] != (byte) i) {
                    throw new IOException("corrupt payload at " + i);
                }
            }
            latency.record(now - stamp);
        }

        @Override
        void fail(Exception e) {
            if (expectedAccept != null) {
                handshaking--;
                expectedAccept = null;
            }
            super.fail(e);
        }
    }

    /** Bulk: {@code up} sends as fast as the path takes it; otherwise receives what the backend sends. */
    private final class BulkConn extends Conn {
        private final boolean up;
        private boolean started;

        BulkConn(boolean up) {
            this.up = up;
            this.out = ByteBuffer.allocate(1);
        }

        @Override
        void connected() throws IOException {
            out.put((byte) (up ? 'U' : 'D'));
            out.flip();
            channel.write(out);
            started = !out.hasRemaining();
            key.interestOps(up ? SelectionKey.OP_WRITE : SelectionKey.OP_READ | (started ? 0 : SelectionKey.OP_WRITE));
        }

        @Override
        void writable() throws IOException {
            if (!started) {
                channel.write(out);
                started = !out.hasRemaining();
                if (!up && started) {
                    key.interestOps(SelectionKey.OP_READ);
                }
                return;
            }
            for (int i = 0; i < 16; i++) {
                bulkOut.clear();
                int n = channel.write(bulkOut);
                if (n == 0) {
                    return;
                }
                bytesUp += n;
            }
        }

        @Override
        void readable() throws IOException {
            for (int i = 0; i < 16; i++) {
                int n = read();
                if (n < 0) {
                    throw new IOException("bulk stream closed by peer");
                }
                if (n == 0) {
                    return;
                }
                bytesDown += n;
            }
        }
    }
}
