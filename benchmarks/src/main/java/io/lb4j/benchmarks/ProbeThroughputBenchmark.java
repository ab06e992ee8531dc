package io.lb4j.benchmarks;

import io.lb4j.Backend;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.ProbeTls;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.probe.LoopTarget;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * How many probes per second one event loop sustains: a closed loop of {@code concurrency} probes in
 * flight on one {@link EventLoop}, as the engine runs them, against a non-blocking loopback server on
 * its own thread (which shares the machine, so the number is a floor). Plain main, not JMH: the unit
 * of work is a TCP connection, far above JMH's resolution.
 *
 * <p>{@code https} and {@code wss} run the TLS probes (a full handshake per check, certificate
 * verified) against a blocking {@code SSLServerSocket} server with a few threads and a self-signed
 * EC P-256 certificate made by {@code keytool} at start; the server's side of each handshake shares the
 * two cores with the probing loop, so the figure is a floor for the loop.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.lb4j.benchmarks.ProbeThroughputBenchmark tcp|http|websocket|https|wss [seconds] [concurrency]</pre>
 */
public final class ProbeThroughputBenchmark {
    private ProbeThroughputBenchmark() {
    }

    /** Runs the benchmark and prints probes per second. */
    public static void main(String[] args) throws Exception {
        String kind = args.length > 0 ? args[0] : "tcp";
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        boolean tls = kind.equals("https") || kind.equals("wss");
        TlsServer tlsServer = tls ? new TlsServer() : null;
        ProbeTls trust = tls ? ProbeTls.builder().trustCertificates(tlsServer.certificate).build() : null;
        HealthProbe probe = kind.equals("http") ? HealthProbe.http("/health")
                : kind.equals("websocket") ? HealthProbe.webSocket("/ws")
                : kind.equals("https") ? HealthProbe.https("/health", trust)
                : kind.equals("wss") ? HealthProbe.secureWebSocket("/ws", trust) : HealthProbe.tcp();
        Server server = tls ? null : new Server(kind);
        if (!tls) {
            Thread serverThread = new Thread(server, "probe-bench-server");
            serverThread.setDaemon(true);
            serverThread.start();
        }
        EventLoop loop = new EventLoop(0, "probe-bench-loop", new Faults());
        loop.start();
        AtomicLong passed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Target target = new Target(tls ? tlsServer.address() : server.address(), loop);
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
        long loopCpuBefore = loopCpuNanos(loop);
        long before = passed.get() + failed.get();
        long failedBefore = failed.get();
        Thread.sleep(seconds * 1_000L);
        long done = passed.get() + failed.get() - before;
        long loopCpu = loopCpuNanos(loop) - loopCpuBefore;
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s probes: %.0f per second on one event loop (%d in flight, %d failed), "
                + "%.1f us of loop CPU per probe%n", kind, done / elapsed, concurrency, failed.get() - failedBefore,
                done == 0 ? 0.0 : loopCpu / 1e3 / done);
        loop.shutdown();
        loop.terminated().join();
        if (tls) {
            tlsServer.close();
        } else {
            server.close();
        }
    }

    /** The CPU time the loop's thread has used, read on that thread. */
    private static long loopCpuNanos(EventLoop loop) throws Exception {
        java.util.concurrent.CompletableFuture<Long> cpu = new java.util.concurrent.CompletableFuture<>();
        loop.execute(() -> cpu.complete(java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()));
        return cpu.get();
    }

    private static final class Target implements LoopTarget {
        /** As the engine's probe executor: 16 daemon threads at most, a bounded queue. */
        private static final ExecutorService EXECUTOR = new java.util.concurrent.ThreadPoolExecutor(16, 16, 30,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(1024), r -> {
                    Thread t = new Thread(r, "probe-bench-executor");
                    t.setDaemon(true);
                    return t;
                });
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
            return EXECUTOR;
        }
    }

    /** A blocking TLS server on a few threads: handshake, read the head, answer as {@link Server}, close. */
    private static final class TlsServer {
        final Path certificate;
        private final Path dir;
        private final SSLServerSocket socket;
        private final ExecutorService threads = Executors.newFixedThreadPool(3);

        TlsServer() throws Exception {
            dir = Files.createTempDirectory("lb4j-probe-bench-");
            Path store = dir.resolve("server.p12");
            Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
                    "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                    "-ext", "san=ip:127.0.0.1", "-validity", "2").redirectErrorStream(true).start();
            keytool.getInputStream().readAllBytes();
            if (keytool.waitFor() != 0) {
                throw new IllegalStateException("keytool failed");
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(store)) {
                keys.load(in, "changeit".toCharArray());
            }
            certificate = dir.resolve("server.pem");
            Files.writeString(certificate, "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder().encodeToString(keys.getCertificate("server").getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, "changeit".toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            socket = (SSLServerSocket) context.getServerSocketFactory()
                    .createServerSocket(0, 4096, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "probe-bench-tls-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket c = socket.accept();
                    c.setTcpNoDelay(true); // the JDK writes a handshake flight in several writes
                    threads.execute(() -> serve(c));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void serve(Socket c) {
            try (c) {
                byte[] buffer = new byte[8192];
                int length = 0;
                String head;
                do {
                    int n = c.getInputStream().read(buffer, length, buffer.length - length);
                    if (n < 0) {
                        return;
                    }
                    length += n;
                    head = new String(buffer, 0, length, StandardCharsets.ISO_8859_1);
                } while (!head.contains("\r\n\r\n"));
                c.getOutputStream().write(Server.response(head).getBytes(StandardCharsets.ISO_8859_1));
                c.getOutputStream().flush();
            } catch (IOException e) {
                // a probe that went away
            }
        }

        void close() throws IOException {
            socket.close();
            threads.shutdownNow();
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
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
            c.write(ByteBuffer.wrap(response(head).getBytes(StandardCharsets.ISO_8859_1)));
            c.close();
        }

        /** 101 with the right accept for a WebSocket upgrade, else 200. */
        static String response(String head) {
            int at = head.indexOf("Sec-WebSocket-Key: ");
            if (at >= 0) {
                String key = head.substring(at + 19, head.indexOf("\r\n", at));
                return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + accept(key) + "\r\n\r\n";
            }
            return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
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
