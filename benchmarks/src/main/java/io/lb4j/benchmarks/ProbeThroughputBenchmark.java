package io.lb4j.benchmarks;

import io.lb4j.Backend;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.probe.LoopTarget;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many probes per second one event loop sustains: a closed loop of {@code concurrency} probes in
 * flight on one {@link EventLoop}, as the engine runs them, against a non-blocking loopback server on
 * its own thread (which shares the machine, so the number is a floor). Plain main, not JMH: the unit
 * of work is a TCP connection, far above JMH's resolution.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.lb4j.benchmarks.ProbeThroughputBenchmark tcp|http|websocket [seconds] [concurrency]</pre>
 */
public final class ProbeThroughputBenchmark {
    private ProbeThroughputBenchmark() {
    }

    /** Runs the benchmark and prints probes per second. */
    public static void main(String[] args) throws Exception {
        String kind = args.length > 0 ? args[0] : "tcp";
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        HealthProbe probe = kind.equals("http") ? HealthProbe.http("/health")
                : kind.equals("websocket") ? HealthProbe.webSocket("/ws") : HealthProbe.tcp();
        Server server = new Server(kind);
        Thread serverThread = new Thread(server, "probe-bench-server");
        serverThread.setDaemon(true);
        serverThread.start();
        EventLoop loop = new EventLoop(0, "probe-bench-loop", new Faults());
        loop.start();
        AtomicLong passed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Target target = new Target(server.address(), loop);
        Runnable[] next = new Runnable[1];
        next[0] = () -> probe.check(target).whenComplete((r, t) -> {
            (r != null && r.healthy() ? passed : failed).incrementAndGet();
            loop.execute(next[0]);
        });
        for (int i = 0; i < concurrency; i++) {
            loop.execute(next[0]);
        }
        Thread.sleep(1_000); // warm-up
        long start = System.nanoTime();
        long before = passed.get() + failed.get();
        long failedBefore = failed.get();
        Thread.sleep(seconds * 1_000L);
        long done = passed.get() + failed.get() - before;
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s probes: %.0f per second on one event loop (%d in flight, %d failed)%n",
                kind, done / elapsed, concurrency, failed.get() - failedBefore);
        loop.shutdown();
        loop.terminated().join();
        server.close();
    }

    private static final class Target implements LoopTarget {
        private final InetSocketAddress address;
        private final EventLoop loop;
        private final Backend backend;

        Target(InetSocketAddress address, EventLoop loop) {
            this.address = address;
            this.loop = loop;
            this.backend = Backend.of("127.0.0.1", address.getPort());
        }

        @Override
        public Backend backend() {
            return backend;
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public Duration timeout() {
            return Duration.ofSeconds(2);
        }

        @Override
        public EventLoop loop() {
            return loop;
        }

        @Override
        public Executor blockingExecutor() {
            return Runnable::run;
        }
    }

    /** Accepts, answers the request head (per kind), closes; one selector thread. */
    private static final class Server implements Runnable {
        private final String kind;
        private final Selector selector;
        private final ServerSocketChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(8192);
        private volatile boolean running = true;

        Server(String kind) throws IOException {
            this.kind = kind;
            this.selector = Selector.open();
            this.channel = ServerSocketChannel.open();
            channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_ACCEPT);
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) channel.getLocalAddress();
        }

        @Override
        public void run() {
            try {
                while (running) {
                    selector.select(key -> {
                        try {
                            if (key.isAcceptable()) {
                                SocketChannel c;
                                while ((c = channel.accept()) != null) {
                                    if (kind.equals("tcp")) {
                                        c.close();
                                    } else {
                                        c.configureBlocking(false);
                                        c.register(selector, SelectionKey.OP_READ);
                                    }
                                }
                            } else if (key.isReadable()) {
                                answer((SocketChannel) key.channel());
                                key.cancel();
                            }
                        } catch (IOException e) {
                            key.cancel();
                        }
                    }, 100);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private void answer(SocketChannel c) throws IOException {
            buffer.clear();
            c.read(buffer);
            String head = new String(buffer.array(), 0, buffer.position(), StandardCharsets.ISO_8859_1);
            String response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            int at = head.indexOf("Sec-WebSocket-Key: ");
            if (at >= 0) {
                String key = head.substring(at + 19, head.indexOf("\r\n", at));
                response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + accept(key) + "\r\n\r\n";
            }
            c.write(ByteBuffer.wrap(response.getBytes(StandardCharsets.ISO_8859_1)));
            c.close();
        }

        private static String accept(String key) {
            try {
                return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                        .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void close() throws IOException {
            running = false;
            selector.wakeup();
            channel.close();
        }
    }
}
