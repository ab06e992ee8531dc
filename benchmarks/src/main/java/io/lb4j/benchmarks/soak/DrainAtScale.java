package io.lb4j.benchmarks.soak;

import io.lb4j.Backend;
import io.lb4j.Balancer;
import io.lb4j.BalancerListener;
import io.lb4j.BalancingPolicy;
import io.lb4j.ConnectionEvent;
import io.lb4j.DrainReport;
import io.lb4j.HealthProbe;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * A paced drain at the scale the open-files limit allows: an embedded balancer in this process holds
 * about 9,000 idle WebSocket connections (clients and backends are two other processes, so each
 * process stays under its 20,000 descriptors), then drains one of the two backends over a window and
 * prints how the closes spread over it.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.lb4j.benchmarks.soak.DrainAtScale
 * [--connections 9000] [--window 30]}.
 */
public final class DrainAtScale {
    private DrainAtScale() {
    }

    public static void main(String... args) throws Exception {
        int connections = 9000;
        int windowSeconds = 30;
        boolean rebalance = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--connections": connections = Integer.parseInt(args[++i]); break;
                case "--window": windowSeconds = Integer.parseInt(args[++i]); break;
                case "--rebalance": rebalance = true; break;
                default: throw new IllegalArgumentException(args[i]
                        + ": unknown (--connections N, --window S, --rebalance)");
            }
        }
        if (rebalance) {
            rebalance(connections, windowSeconds);
            return;
        }
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String cp = System.getProperty("java.class.path");
        int p1 = freePort();
        int p2 = freePort();
        List<Process> started = new ArrayList<>();
        try {
            started.add(new ProcessBuilder(java, "-cp", cp, "io.lb4j.benchmarks.load.Load", "serve", "ws",
                    "127.0.0.1", "" + p1, "" + p2).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            waitForPort(p1);
            waitForPort(p2);
            Backend drained = Backend.of("127.0.0.1", p1);
            long[] startNs = {0};
            ConcurrentLinkedQueue<Long> closeNs = new ConcurrentLinkedQueue<>();
            BalancerListener listener = new BalancerListener() {
                @Override
                public void connectionClosed(ConnectionEvent event) {
                    if (startNs[0] != 0 && event.backend() != null && event.backend().name().equals(drained.name())) {
                        closeNs.add(System.nanoTime());
                    }
                }
            };
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(drained)
                    .backend(Backend.of("127.0.0.1", p2)).policy(BalancingPolicy.roundRobin())
                    .probe(HealthProbe.tcp()).eventLoops(2).jmx(false).listener(listener).build()) {
                lb.start();
                InetSocketAddress front = lb.addresses().get(0);
                started.add(new ProcessBuilder(java, "-cp", cp, "io.lb4j.benchmarks.load.Load", "run", "--workload",
                        "ws-idle", "--target", "127.0.0.1:" + front.getPort(), "--connections", "" + connections,
                        "--hold", "" + (windowSeconds + 60)).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                while (lb.stats().activeConnections() < connections && System.nanoTime() < deadline) {
                    Thread.sleep(200); // waiting for the crowd to connect, with a deadline
                }
                long held = lb.stats().activeConnections();
                long onDrained = lb.stats().backends().get(0).activeConnections();
                System.out.printf("holding %d WebSocket connections, %d on %s; draining it over %d s%n", held,
                        onDrained, drained.name(), windowSeconds);
                startNs[0] = System.nanoTime();
                DrainReport report = lb.drain(drained, Duration.ofSeconds(windowSeconds)).toCompletableFuture()
                        .get(windowSeconds + 30L, TimeUnit.SECONDS);
                int[] perSecond = new int[windowSeconds + 2];
                long last = 0;
                for (long t : closeNs) {
                    long ms = (t - startNs[0]) / 1_000_000;
                    last = Math.max(last, ms);
                    perSecond[(int) Math.min(perSecond.length - 1, ms / 1000)]++;
                }
                int max = 0;
                for (int n : perSecond) {
                    max = Math.max(max, n);
                }
                System.out.println("report: " + report);
                System.out.println("closes per second: " + Arrays.toString(perSecond));
                System.out.printf("busiest second: %d closes (%.1f%% of %d; an even spread is %.1f%%); last close at %d ms"
                        + " of a %d ms window%n", max, 100.0 * max / Math.max(1, closeNs.size()), closeNs.size(),
                        100.0 / windowSeconds, last, windowSeconds * 1000);
                System.out.printf("after the drain: %d connections open, %d on the drained backend%n",
                        lb.stats().activeConnections(), lb.stats().backends().get(0).activeConnections());
            }
        } finally {
            for (Process p : started) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Three backends hold the crowd, a fourth joins, and the rebalancer (interval 1 s, spread 0.2, at
     * most 30% of a backend per minute) closes connections on the busiest; the clients reconnect and
     * least connections sends them to the newcomer. Prints the spread every 5 s for the window.
     */
    private static void rebalance(int connections, int windowSeconds) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String cp = System.getProperty("java.class.path");
        int[] ports = {freePort(), freePort(), freePort(), freePort()};
        List<Process> started = new ArrayList<>();
        try {
            started.add(new ProcessBuilder(java, "-cp", cp, "io.lb4j.benchmarks.load.Load", "serve", "ws", "127.0.0.1",
                    "" + ports[0], "" + ports[1], "" + ports[2], "" + ports[3]).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            for (int port : ports) {
                waitForPort(port);
            }
            io.lb4j.BackendRegistry.Dynamic pool = io.lb4j.BackendRegistry.dynamic();
            for (int i = 0; i < 3; i++) {
                pool.add(Backend.of("127.0.0.1", ports[i]));
            }
            java.util.concurrent.atomic.AtomicLong moved = new java.util.concurrent.atomic.AtomicLong();
            BalancerListener listener = new BalancerListener() {
                @Override
                public void connectionClosed(ConnectionEvent event) {
                    if ("rebalanced".equals(event.reason())) {
                        moved.incrementAndGet();
                    }
                }
            };
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(pool)
                    .policy(BalancingPolicy.leastConnections()).probe(HealthProbe.tcp()).eventLoops(2).jmx(false)
                    .rebalance(Duration.ofSeconds(1), 0.2, 0.3).listener(listener).build()) {
                lb.start();
                InetSocketAddress front = lb.addresses().get(0);
                started.add(new ProcessBuilder(java, "-cp", cp, "io.lb4j.benchmarks.load.Load", "run", "--workload",
                        "ws-idle", "--target", "127.0.0.1:" + front.getPort(), "--connections", "" + connections,
                        "--hold", "" + (windowSeconds + 60), "--reconnect").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                while (lb.stats().activeConnections() < connections && System.nanoTime() < deadline) {
                    Thread.sleep(200); // waiting for the crowd to connect, with a deadline
                }
                System.out.println("before: " + spread(lb));
                pool.add(Backend.of("127.0.0.1", ports[3]));
                long start = System.nanoTime();
                for (int s = 5; s <= windowSeconds; s += 5) {
                    Thread.sleep(Math.max(0, start + TimeUnit.SECONDS.toNanos(s) - System.nanoTime()) / 1_000_000);
                    System.out.printf("t=%3ds moved=%d %s%n", s, moved.get(), spread(lb));
                }
            }
        } finally {
            for (Process p : started) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String spread(Balancer lb) {
        StringBuilder sb = new StringBuilder("active per backend:");
        long max = 0;
        long sum = 0;
        int n = 0;
        for (var b : lb.stats().backends()) {
            sb.append(' ').append(b.activeConnections());
            max = Math.max(max, b.activeConnections());
            sum += b.activeConnections();
            n++;
        }
        return sb.append(String.format(" (total %d, spread max/mean-1 = %.2f)", sum, n == 0 || sum == 0 ? 0.0
                : max / (sum / (double) n) - 1)).toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void waitForPort(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.getPort();
                return;
            } catch (IOException e) {
                Thread.sleep(50); // the backend process is still starting
            }
        }
        throw new IllegalStateException("backend port " + port + " did not open");
    }
}
