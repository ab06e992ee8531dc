package io.lb4j.benchmarks.soak;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.BalancerStats;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthProbe;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * The long run of the hardening work: mixed traffic through one balancer for a chosen time while
 * backends are killed (every connection reset), restarted, added and drained on a schedule. Every
 * byte of every connection is checked end to end (each chunk is echoed and compared, and a CRC32 of
 * the whole stream is kept on both sides); at the end it prints the traffic, the faults injected,
 * and descriptors, threads and heap (after GC) in the first and the last minute.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.lb4j.benchmarks.soak.Soak [--minutes 10]
 * [--clients 96]}. Exits 1 when any byte was wrong or the books do not balance. Not for CI.
 */
public final class Soak {
    private final List<EchoBackend> backends = new CopyOnWriteArrayList<>();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong interrupted = new AtomicLong();
    private final AtomicLong corrupt = new AtomicLong();
    private final AtomicLong bytesVerified = new AtomicLong();
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong kills = new AtomicLong();
    private final AtomicLong adds = new AtomicLong();
    private final AtomicLong drains = new AtomicLong();
    private volatile boolean running = true;
    private final java.util.concurrent.ScheduledExecutorService later =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "soak-schedule");
                t.setDaemon(true);
                return t;
            });

    public static void main(String... args) throws Exception {
        int minutes = 10;
        int clients = 96;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--minutes": minutes = Integer.parseInt(args[++i]); break;
                case "--clients": clients = Integer.parseInt(args[++i]); break;
                case "--seconds": minutes = -Integer.parseInt(args[++i]); break;
                default: throw new IllegalArgumentException(args[i] + ": unknown (--minutes N, --clients N)");
            }
        }
        Duration length = minutes >= 0 ? Duration.ofMinutes(minutes) : Duration.ofSeconds(-minutes);
        System.exit(new Soak().run(length, clients) ? 0 : 1);
    }

    /** A blocking echo server that can be killed (every connection reset) and restarted on its port. */
    static final class EchoBackend {
        final String name;
        volatile ServerSocket server;
        final List<Socket> open = new CopyOnWriteArrayList<>();
        final int port;

        EchoBackend(String name) throws IOException {
            this.name = name;
            this.server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
            this.port = server.getLocalPort();
            serve(server);
        }

        String hostPort() {
            return "127.0.0.1:" + port;
        }

        void serve(ServerSocket s) {
            Thread acceptor = new Thread(() -> {
                while (!s.isClosed()) {
                    try {
                        Socket c = s.accept();
                        open.add(c);
                        Thread t = new Thread(() -> echo(c), name + "-conn");
                        t.setDaemon(true);
                        t.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, name + "-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void echo(Socket c) {
            byte[] buf = new byte[16 * 1024];
            try (c) {
                InputStream in = c.getInputStream();
                OutputStream out = c.getOutputStream();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // killed, or the client went away
            } finally {
                open.remove(c);
            }
        }

        void kill() throws IOException {
            server.close();
            for (Socket c : open) {
                try {
                    c.setSoLinger(true, 0);
                    c.close();
                } catch (IOException e) {
                    // already gone
                }
            }
        }

        void restart() throws IOException {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
            server = s;
            serve(s);
        }
    }

    private record Sample(long fds, int threads, long heapBytes, long openConnections) {
    }

    boolean run(Duration length, int clients) throws Exception {
        for (int i = 0; i < 4; i++) {
            backends.add(new EchoBackend("b" + i));
        }
        BackendRegistry.Dynamic pool = BackendRegistry.dynamic();
        for (EchoBackend b : backends) {
            pool.add(Backend.parse(b.hostPort()));
        }
        Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(pool).policy(BalancingPolicy.leastConnections())
                .probe(HealthProbe.tcp()).probeInterval(Duration.ofSeconds(1)).probeTimeout(Duration.ofMillis(500))
                .eventLoops(2).idleTimeout(Duration.ofSeconds(30)).drainTimeout(Duration.ofSeconds(5)).jmx(false).build();
        lb.start();
        InetSocketAddress front = lb.addresses().get(0);
        ExecutorService workers = Executors.newFixedThreadPool(clients, r -> {
            Thread t = new Thread(r, "soak-client");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < clients; i++) {
            long seed = 1000L + i;
            workers.execute(() -> clientLoop(front, new Random(seed)));
        }
        long startNs = System.nanoTime();
        long endNs = startNs + length.toNanos();
        long minuteNs = Math.min(Duration.ofMinutes(1).toNanos(), length.toNanos() / 4);
        Sample first = null;
        Sample last = null;
        Random chaos = new Random(7);
        int tick = 0;
        while (System.nanoTime() < endNs) {
            Thread.sleep(1000); // the schedule's clock: one step a second
            tick++;
            long elapsed = System.nanoTime() - startNs;
            if (first == null && elapsed >= minuteNs) {
                first = sample(lb);
            }
            if (endNs - System.nanoTime() <= minuteNs / 2 && last == null) {
                last = sample(lb);
            }
            if (tick % 20 == 0) {
                EchoBackend victim = backends.get(chaos.nextInt(backends.size()));
                victim.kill();
                kills.incrementAndGet();
                EchoBackend back = victim;
                later.schedule(() -> {
                    try {
                        back.restart();
                    } catch (IOException e) {
                        System.err.println("restart of " + back.name + " failed: " + e.getMessage());
                    }
                }, 8, TimeUnit.SECONDS);
            }
            if (tick % 45 == 0) {
                EchoBackend added = new EchoBackend("b" + backends.size());
                backends.add(added);
                pool.add(Backend.parse(added.hostPort()));
                adds.incrementAndGet();
            }
            if (tick % 70 == 0 && backends.size() > 3) {
                EchoBackend drained = backends.get(0);
                pool.setAdminState(Backend.parse(drained.hostPort()).name(), Backend.AdminState.DRAIN);
                drains.incrementAndGet();
                later.schedule(() -> {
                    pool.remove(Backend.parse(drained.hostPort()).name());
                    backends.remove(drained);
                    try {
                        drained.kill();
                    } catch (IOException e) {
                        // gone
                    }
                }, 15, TimeUnit.SECONDS);
            }
            if (tick % 30 == 0) {
                System.out.printf("t=%4ds connections ok=%d interrupted=%d corrupt=%d verified=%.1f MiB%n", tick,
                        completed.get(), interrupted.get(), corrupt.get(), bytesVerified.get() / 1048576.0);
            }
        }
        running = false;
        later.shutdownNow();
        workers.shutdown();
        workers.awaitTermination(60, TimeUnit.SECONDS);
        BalancerStats stats = lb.stats();
        lb.close();
        if (last == null) {
            last = sample(null);
        }
        long balancerTotal = stats.totalConnections();
        System.out.println();
        System.out.println("soak: " + length.toSeconds() + " s, " + clients + " concurrent clients, 2 event loops");
        System.out.printf("connections: %d attempted, %d completed and verified, %d interrupted by faults, %d refused%n",
                attempts.get(), completed.get(), interrupted.get(), refused.get());
        System.out.printf("bytes verified end to end: %d (%.1f MiB); corrupt connections: %d%n",
                bytesVerified.get(), bytesVerified.get() / 1048576.0, corrupt.get());
        System.out.printf("faults injected: %d backend kills (every connection reset), %d backends added, %d drained%n",
                kills.get(), adds.get(), drains.get());
        System.out.printf("balancer: %d accepted, %d rejected, %d active at the end%n", balancerTotal,
                stats.rejectedConnections(), stats.activeConnections());
        System.out.printf("first minute: fds=%d threads=%d heap=%.1f MiB open=%d%n", first.fds, first.threads,
                first.heapBytes / 1048576.0, first.openConnections);
        System.out.printf("last minute:  fds=%d threads=%d heap=%.1f MiB open=%d%n", last.fds, last.threads,
                last.heapBytes / 1048576.0, last.openConnections);
        boolean booksBalance = balancerTotal == attempts.get() - refused.get();
        System.out.println("books balance (balancer accepted = client connections made): " + booksBalance
                + " (" + balancerTotal + " vs " + (attempts.get() - refused.get()) + ")");
        return corrupt.get() == 0 && booksBalance;
    }

    private Sample sample(Balancer lb) throws IOException {
        System.gc();
        long fds;
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count();
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return new Sample(fds, Thread.activeCount(), heap, lb == null ? 0 : lb.stats().activeConnections());
    }

    /** Opens connections one after another: short ones with one large exchange, long ones with many small. */
    private void clientLoop(InetSocketAddress front, Random random) {
        byte[] out = new byte[64 * 1024];
        byte[] in = new byte[64 * 1024];
        while (running) {
            attempts.incrementAndGet();
            Socket s;
            try {
                s = new Socket(front.getAddress(), front.getPort());
            } catch (IOException e) {
                refused.incrementAndGet();
                continue;
            }
            boolean longLived = random.nextInt(10) == 0;
            int rounds = longLived ? 50 + random.nextInt(100) : 1 + random.nextInt(4);
            CRC32 sent = new CRC32();
            CRC32 received = new CRC32();
            long bytes = 0;
            try (s) {
                s.setSoTimeout(20_000);
                OutputStream os = s.getOutputStream();
                InputStream is = s.getInputStream();
                for (int r = 0; r < rounds && running; r++) {
                    int n = longLived ? 1 + random.nextInt(512) : 1 + random.nextInt(out.length);
                    random.nextBytes(out);
                    os.write(out, 0, n);
                    sent.update(out, 0, n);
                    int got = 0;
                    while (got < n) {
                        int k = is.read(in, got, n - got);
                        if (k < 0) {
                            throw new IOException("ended early");
                        }
                        got += k;
                    }
                    received.update(in, 0, n);
                    for (int i = 0; i < n; i++) {
                        if (in[i] != out[i]) {
                            corrupt.incrementAndGet();
                            throw new IllegalStateException("byte " + i + " of round " + r + " differs");
                        }
                    }
                    bytes += n;
                    if (longLived) {
                        Thread.sleep(random.nextInt(50)); // a chatty WebSocket-like client paces itself
                    }
                }
                s.shutdownOutput();
                if (is.read() != -1) {
                    throw new IOException("bytes after the end");
                }
                if (sent.getValue() != received.getValue()) {
                    corrupt.incrementAndGet();
                } else {
                    completed.incrementAndGet();
                    bytesVerified.addAndGet(2 * bytes);
                }
            } catch (IOException e) {
                interrupted.incrementAndGet(); // a fault (backend killed) ended it; what arrived was checked
            } catch (IllegalStateException e) {
                System.err.println("corrupt: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private Soak() {
    }
}
