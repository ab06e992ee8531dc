package io.lb4j.benchmarks.restart;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Restarts of the lb4j runner under load, by hand-over ({@code --reuse-port}, a successor, SIGUSR2)
 * or by a plain stop-and-start (SIGTERM, wait for exit, start again), counting what clients see: a
 * steady stream of new connections (one echo each) and long-lived WebSocket-like connections (an echo
 * every second, reconnecting when closed), all through lb4j child processes to an echo backend in
 * this process.
 *
 * <p>Counted: new connections refused, reset or timed out; echoes lost on long-lived connections
 * (a connection that dies with an echo outstanding, or an echo not back within 5 s), split into those
 * inside a drain window (from the signal to the old process's exit, plus 100 ms) and outside it;
 * reconnects refused; the time from signal to exit of each old process; with hand-over, the queued
 * clients each old process accepted before closing its listeners (from its log line).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.lb4j.benchmarks.restart.HandOverBench
 * [--mode handover|restart] [--restarts 20] [--rate 1000] [--long 2000] [--interval-ms 1000]
 * [--drain-timeout 3s] [--drain-pacing 2s] [--warmup-ms 3000] [--smoke]}; {@code
 * benchmarks/handover.sh} runs both modes with {@code tcp_migrate_req} at 0 and at 1.
 */
public final class HandOverBench {
    private static final Pattern READY = Pattern.compile("lb4j listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern HANDED = Pattern.compile("handed over .*: listeners closed, (\\d+) queued clients");
    private static final long ECHO_TIMEOUT_NS = 5_000_000_000L;
    private static final long PING_INTERVAL_NS = 1_000_000_000L;

    // settings
    String mode = "handover";
    int restarts = 20;
    int rate = 1000;
    int longLived = 2000;
    long intervalMs = 1000;
    String drainTimeout = "3s";
    String drainPacing = "2s";
    long warmupMs = 3000;

    // what clients saw
    final LongAdder shortOk = new LongAdder();
    final LongAdder shortRefused = new LongAdder();
    final LongAdder shortReset = new LongAdder();
    final LongAdder shortTimeout = new LongAdder();
    final LongAdder echoes = new LongAdder();
    final LongAdder lostInside = new LongAdder();
    final LongAdder lostOutside = new LongAdder();
    final LongAdder longClosedClean = new LongAdder();
    final LongAdder reconnectRefused = new LongAdder();
    final LongAdder reconnects = new LongAdder();
    final List<long[]> drains = new java.util.concurrent.CopyOnWriteArrayList<>(); // {signalNs, exitNs}
    final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
    volatile long drainOpenSinceNs = -1; // a drain in progress since then, else -1
    final AtomicBoolean running = new AtomicBoolean(true);
    final List<Long> exitMs = new ArrayList<>();
    final List<Long> readyMs = new ArrayList<>();
    long queuedAccepted;
    long lbWarnings;
    int port;
    int backendPort;

    public static void main(String... args) throws Exception {
        HandOverBench b = new HandOverBench();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode": b.mode = args[++i]; break;
                case "--restarts": b.restarts = Integer.parseInt(args[++i]); break;
                case "--rate": b.rate = Integer.parseInt(args[++i]); break;
                case "--long": b.longLived = Integer.parseInt(args[++i]); break;
                case "--interval-ms": b.intervalMs = Long.parseLong(args[++i]); break;
                case "--drain-timeout": b.drainTimeout = args[++i]; break;
                case "--drain-pacing": b.drainPacing = args[++i]; break;
                case "--warmup-ms": b.warmupMs = Long.parseLong(args[++i]); break;
                case "--smoke": b.smoke(); break;
                default:
                    throw new IllegalArgumentException(args[i] + ": unknown (--mode handover|restart, --restarts N, "
                            + "--rate N, --long N, --interval-ms MS, --drain-timeout D, --drain-pacing D, "
                            + "--warmup-ms MS, --smoke)");
            }
        }
        if (!b.mode.equals("handover") && !b.mode.equals("restart")) {
            throw new IllegalArgumentException("--mode: " + b.mode + " (expected: handover or restart)");
        }
        System.out.println(b.run());
    }

    /** Seconds instead of minutes, for CI: it checks the harness, not a figure. */
    HandOverBench smoke() {
        restarts = 2;
        rate = 100;
        longLived = 20;
        intervalMs = 200;
        drainTimeout = "1s";
        drainPacing = "300ms";
        warmupMs = 300;
        return this;
    }

    /** Runs the restarts and returns the one RESULT line. */
    String run() throws Exception {
        try (ServerSocketChannel echo = ServerSocketChannel.open()) {
            echo.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
            backendPort = ((InetSocketAddress) echo.getLocalAddress()).getPort();
            Thread backend = daemon(() -> echoServer(echo), "echo-backend");
            backend.start();
            port = freePort();
            Lb current = Lb.start(this);
            readyMs.add(current.readyMs);
            List<Thread> load = new ArrayList<>();
            int shortThreads = Math.max(2, Math.min(16, rate / 60));
            AtomicLong nextSlotNs = new AtomicLong(System.nanoTime());
            long gapNs = 1_000_000_000L / Math.max(1, rate);
            for (int i = 0; i < shortThreads; i++) {
                Thread t = daemon(() -> shortStream(nextSlotNs, gapNs), "short-" + i);
                t.start();
                load.add(t);
            }
            Thread longThread = daemon(this::longLivedLoop, "long-lived");
            longThread.start();
            load.add(longThread);
            Thread.sleep(warmupMs);
            long startNs = System.nanoTime();
            long okBefore = shortOk.sum();
            try {
                for (int r = 0; r < restarts; r++) {
                    if (mode.equals("handover")) {
                        Lb next = Lb.start(this);
                        readyMs.add(next.readyMs);
                        long signalNs = beginDrain();
                        current.signal("USR2");
                        current.awaitExit();
                        endDrain(signalNs);
                        queuedAccepted += current.queuedAccepted();
                        lbWarnings += current.warnings();
                        current = next;
                    } else {
                        long signalNs = beginDrain();
                        current.signal("TERM");
                        current.awaitExit();
                        endDrain(signalNs);
                        lbWarnings += current.warnings();
                        current = Lb.start(this);
                        readyMs.add(current.readyMs);
                    }
                    Thread.sleep(intervalMs);
                }
                Thread.sleep(Math.min(2000, warmupMs));
            } finally {
                running.set(false);
                for (Thread t : load) {
                    t.join(10_000);
                }
                current.signal("TERM");
                current.awaitExit();
                lbWarnings += current.warnings();
            }
            double seconds = (System.nanoTime() - startNs) / 1e9;
            StringBuilder line = new StringBuilder("RESULT mode=").append(mode)
                    .append(" tcp_migrate_req=").append(migrateReq())
                    .append(" restarts=").append(restarts)
                    .append(" seconds=").append(String.format("%.1f", seconds))
                    .append(" new_ok=").append(shortOk.sum())
                    .append(" new_per_s=").append(String.format("%.0f", (shortOk.sum() - okBefore) / seconds))
                    .append(" new_refused=").append(shortRefused.sum())
                    .append(" new_reset=").append(shortReset.sum())
                    .append(" new_timeout=").append(shortTimeout.sum())
                    .append(" long=").append(longLived)
                    .append(" long_echoes=").append(echoes.sum())
                    .append(" long_lost_outside_drain=").append(lostOutside.sum())
                    .append(" long_lost_inside_drain=").append(lostInside.sum())
                    .append(" long_closed_clean=").append(longClosedClean.sum())
                    .append(" long_reconnects=").append(reconnects.sum())
                    .append(" long_reconnect_refused=").append(reconnectRefused.sum())
                    .append(" signal_to_exit_ms=").append(summary(exitMs))
                    .append(" start_to_ready_ms=").append(summary(readyMs))
                    .append(" lb_warnings=").append(lbWarnings);
            if (mode.equals("handover")) {
                line.append(" queued_accepted_at_handover=").append(queuedAccepted);
            }
            for (String s : samples) {
                line.append("\n# ").append(s);
            }
            return line.toString();
        }
    }

    private synchronized long beginDrain() {
        long now = System.nanoTime();
        drainOpenSinceNs = now;
        return now;
    }

    private synchronized void endDrain(long signalNs) {
        long now = System.nanoTime();
        drains.add(new long[] {signalNs, now + 100_000_000L});
        drainOpenSinceNs = -1;
        exitMs.add((now - signalNs) / 1_000_000);
    }

    /** Whether {@code nowNs} falls into a drain window (one in progress counts from its signal). */
    private boolean inDrain(long nowNs) {
        long open = drainOpenSinceNs;
        if (open >= 0 && nowNs - open >= 0) {
            return true;
        }
        for (long[] d : drains) {
            if (nowNs - d[0] >= 0 && d[1] - nowNs >= 0) {
                return true;
            }
        }
        return false;
    }

    private static String summary(List<Long> values) {
        if (values.isEmpty()) {
            return "-";
        }
        long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return "p50:" + v[v.length / 2] + ",max:" + v[v.length - 1];
    }

    // ---- the steady stream: connect, one echo, close ----

    private void shortStream(AtomicLong nextSlotNs, long gapNs) {
        byte[] out = "ping-8b\n".getBytes(StandardCharsets.US_ASCII);
        byte[] in = new byte[out.length];
        while (running.get()) {
            long slot = nextSlotNs.getAndAdd(gapNs);
            long wait = slot - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait); // pacing the offered load
            }
            try (Socket s = new Socket()) {
                s.setSoTimeout(5_000);
                s.setSoLinger(true, 0); // no TIME_WAIT pile-up on the client's ports
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
                OutputStream o = s.getOutputStream();
                InputStream i = s.getInputStream();
                o.write(out);
                int got = 0;
                while (got < in.length) {
                    int n = i.read(in, got, in.length - got);
                    if (n < 0) {
                        break;
                    }
                    got += n;
                }
                if (got == in.length && Arrays.equals(in, out)) {
                    shortOk.increment();
                } else {
                    shortReset.increment();
                    sample("new connection closed before its echo (" + got + " bytes)");
                }
            } catch (ConnectException e) {
                shortRefused.increment();
            } catch (SocketTimeoutException e) {
                shortTimeout.increment();
                sample("new connection timed out: " + e.getMessage());
            } catch (IOException e) {
                shortReset.increment();
                sample("new connection: " + e);
            }
        }
    }

    private void sample(String what) {
        if (samples.size() < 5) {
            samples.add(what);
        }
    }

    // ---- long-lived connections: an echo a second each, reconnect when closed ----

    private static final class Conn {
        SocketChannel channel;
        long pingSentNs = -1; // an echo outstanding since then, else -1
        long nextPingNs;
        long reconnectAtNs = -1;
        int got;
    }

    private void longLivedLoop() {
        SplittableRandom random = new SplittableRandom(42);
        ByteBuffer ping = ByteBuffer.wrap("echo-8b\n".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer read = ByteBuffer.allocate(64);
        List<Conn> conns = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            long now = System.nanoTime();
            for (int i = 0; i < longLived; i++) {
                Conn c = new Conn();
                c.reconnectAtNs = now + (long) (random.nextDouble() * 1e9); // spread the first connects over 1 s
                conns.add(c);
            }
            while (running.get()) {
                selector.select(10);
                now = System.nanoTime();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    Conn c = (Conn) key.attachment();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isConnectable()) {
                        try {
                            c.channel.finishConnect();
                            key.interestOps(SelectionKey.OP_READ);
                            c.nextPingNs = now + (long) (random.nextDouble() * PING_INTERVAL_NS);
                        } catch (ConnectException e) {
                            reconnectRefused.increment();
                            dropped(c, key, now, random, false);
                        } catch (IOException e) {
                            dropped(c, key, now, random, true);
                        }
                        continue;
                    }
                    if (key.isReadable()) {
                        read.clear();
                        int n;
                        try {
                            n = c.channel.read(read);
                        } catch (IOException e) {
                            n = -1;
                        }
                        if (n < 0) {
                            dropped(c, key, now, random, true);
                            continue;
                        }
                        c.got += n;
                        if (c.got >= ping.capacity() && c.pingSentNs >= 0) {
                            c.got -= ping.capacity();
                            c.pingSentNs = -1;
                            echoes.increment();
                        }
                    }
                }
                for (Conn c : conns) {
                    if (c.channel == null) {
                        if (c.reconnectAtNs >= 0 && now - c.reconnectAtNs >= 0) {
                            connect(c, selector, now);
                        }
                        continue;
                    }
                    if (c.pingSentNs >= 0 && now - c.pingSentNs > ECHO_TIMEOUT_NS) {
                        lost(c.pingSentNs, now);
                        sample("echo not back within 5 s");
                        c.pingSentNs = -1;
                    }
                    if (c.pingSentNs < 0 && c.channel.isConnected() && now - c.nextPingNs >= 0) {
                        try {
                            ping.clear();
                            c.channel.write(ping); // 8 bytes into an empty socket buffer: all of it
                            c.pingSentNs = now;
                            c.nextPingNs = now + PING_INTERVAL_NS;
                        } catch (IOException e) {
                            dropped(c, c.channel.keyFor(selector), now, random, true);
                        }
                    }
                }
            }
            for (Conn c : conns) {
                if (c.channel != null) {
                    c.channel.close();
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void connect(Conn c, Selector selector, long now) {
        try {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            c.channel = ch;
            c.got = 0;
            c.pingSentNs = -1;
            c.reconnectAtNs = -1;
            reconnects.increment();
            if (ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                ch.register(selector, SelectionKey.OP_READ, c);
                c.nextPingNs = now;
            } else {
                ch.register(selector, SelectionKey.OP_CONNECT, c);
            }
        } catch (ConnectException e) {
            reconnectRefused.increment();
            c.channel = null;
            c.reconnectAtNs = now + 100_000_000L;
        } catch (IOException e) {
            c.channel = null;
            c.reconnectAtNs = now + 100_000_000L;
        }
    }

    /** The connection is gone: count an outstanding echo, reconnect after 0-500 ms (as a client would). */
    private void dropped(Conn c, SelectionKey key, long now, SplittableRandom random, boolean closed) {
        if (key != null) {
            key.cancel();
        }
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // gone already
        }
        c.channel = null;
        if (c.pingSentNs >= 0) {
            lost(c.pingSentNs, now);
        } else if (closed) {
            longClosedClean.increment();
        }
        c.pingSentNs = -1;
        c.reconnectAtNs = now + (long) (random.nextDouble() * 500_000_000L);
    }

    private void lost(long sentNs, long nowNs) {
        if (inDrain(sentNs) || inDrain(nowNs)) {
            lostInside.increment();
        } else {
            lostOutside.increment();
            sample("echo lost outside a drain");
        }
    }

    // ---- the echo backend ----

    private void echoServer(ServerSocketChannel server) {
        try (Selector selector = Selector.open()) {
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
            while (server.isOpen()) {
                selector.select(100);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    try {
                        if (key.isAcceptable()) {
                            for (SocketChannel c; (c = server.accept()) != null; ) {
                                c.configureBlocking(false);
                                c.register(selector, SelectionKey.OP_READ);
                            }
                        } else if (key.isReadable()) {
                            SocketChannel c = (SocketChannel) key.channel();
                            buffer.clear();
                            int n = c.read(buffer);
                            if (n < 0) {
                                key.cancel();
                                c.close();
                            } else {
                                buffer.flip();
                                c.write(buffer); // a few bytes at a time: the socket buffer takes them
                            }
                        }
                    } catch (IOException e) {
                        key.cancel();
                        try {
                            key.channel().close();
                        } catch (IOException ignored) {
                            // gone
                        }
                    }
                }
            }
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
            // the run is over
        }
    }

    // ---- lb4j child processes ----

    /** One lb4j runner in a child JVM. */
    static final class Lb {
        final Process process;
        final StringBuffer err = new StringBuffer();
        long readyMs;

        private Lb(Process process) {
            this.process = process;
        }

        static Lb start(HandOverBench b) throws Exception {
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            List<String> command = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xms16m", "-Xmx256m",
                    "-cp", classPath(), "io.lb4j.internal.cli.Main",
                    "--listen", "127.0.0.1:" + b.port, "--backend", "127.0.0.1:" + b.backendPort,
                    "--probe", "none", "--threads", "1", "--policy", "round-robin",
                    "--drain-timeout", b.drainTimeout));
            if (!b.drainPacing.equals("0")) {
                command.addAll(List.of("--drain-pacing", b.drainPacing));
            }
            if (b.mode.equals("handover")) {
                command.add("--reuse-port");
            }
            long startNs = System.nanoTime();
            Lb lb = new Lb(new ProcessBuilder(command).start());
            daemon(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(lb.process.getErrorStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lb.err.append(line).append('\n');
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            }, "lb-stderr").start();
            BufferedReader out = new BufferedReader(new InputStreamReader(lb.process.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return null;
                }
            }).get(60, TimeUnit.SECONDS);
            if (!READY.matcher(String.valueOf(line)).matches()) {
                lb.process.destroyForcibly();
                throw new IllegalStateException("lb4j did not start: " + line + " / " + lb.err);
            }
            lb.readyMs = (System.nanoTime() - startNs) / 1_000_000;
            daemon(() -> {
                try {
                    out.transferTo(Writer.nullWriter());
                } catch (IOException ignored) {
                    // the process ended
                }
            }, "lb-stdout").start();
            return lb;
        }

        /** This JVM's class path, with its module path when a test runner put lb4j there. */
        private static String classPath() {
            String modules = System.getProperty("jdk.module.path", "");
            String classes = System.getProperty("java.class.path", "");
            return modules.isEmpty() ? classes : modules + File.pathSeparator + classes;
        }

        void signal(String name) throws Exception {
            Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        }

        void awaitExit() throws Exception {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("lb4j " + process.pid() + " did not exit within 120 s");
            }
        }

        /** Lines it logged at WARNING (a fault it caught and survived), once it has exited. */
        long warnings() {
            return err.toString().lines().filter(l -> l.contains("WARNING")).count();
        }

        /** The queued clients it accepted at its hand-over, from its log line (0 when none came). */
        long queuedAccepted() throws InterruptedException {
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() - deadline < 0) {
                Matcher m = HANDED.matcher(err);
                if (m.find()) {
                    return Long.parseLong(m.group(1));
                }
                Thread.sleep(10);
            }
            return 0;
        }
    }

    private static int migrateReq() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/tcp_migrate_req")).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
