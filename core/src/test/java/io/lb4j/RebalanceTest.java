package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class RebalanceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Counts connections closed by the rebalancer, per backend. */
    static final class Moves implements BalancerListener {
        final Map<String, AtomicInteger> byBackend = new ConcurrentHashMap<>();

        @Override
        public void connectionClosed(ConnectionEvent event) {
            if ("rebalanced".equals(event.reason())) {
                byBackend.computeIfAbsent(event.backend().name(), k -> new AtomicInteger()).incrementAndGet();
            }
        }

        int total() {
            return byBackend.values().stream().mapToInt(AtomicInteger::get).sum();
        }
    }

    /** Clients that reconnect when the balancer closes them: a bounded loop on its own thread. */
    static final class Reconnecting implements AutoCloseable {
        final SocketChannel[] channels;
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicInteger reconnects = new AtomicInteger();
        final Thread thread;

        Reconnecting(InetSocketAddress front, int n) throws IOException {
            channels = new SocketChannel[n];
            for (int i = 0; i < n; i++) {
                channels[i] = open(front);
            }
            thread = new Thread(() -> loop(front), "reconnecting-clients");
            thread.start();
        }

        static SocketChannel open(InetSocketAddress front) throws IOException {
            SocketChannel channel = SocketChannel.open(front);
            channel.configureBlocking(false);
            return channel;
        }

        private void loop(InetSocketAddress front) {
            ByteBuffer buffer = ByteBuffer.allocate(64);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (running.get() && System.nanoTime() - deadline < 0) {
                for (int i = 0; i < channels.length; i++) {
                    boolean closed;
                    try {
                        buffer.clear();
                        closed = channels[i].read(buffer) < 0;
                    } catch (IOException e) {
                        closed = true;
                    }
                    if (closed) {
                        try {
                            channels[i].close();
                            channels[i] = open(front);
                            reconnects.incrementAndGet();
                        } catch (IOException e) {
                            return;
                        }
                    }
                }
                try {
                    Thread.sleep(10); // a poll interval of the simulated clients
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        public void close() {
            running.set(false);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (SocketChannel channel : channels) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing test clients
                }
            }
        }
    }

    static Map<String, Long> active(Balancer lb) {
        Map<String, Long> active = new TreeMap<>();
        for (BalancerStats.BackendStats b : lb.stats().backends()) {
            active.put(b.backend().name(), b.activeConnections());
        }
        return active;
    }

    static double spread(Map<String, Long> active) {
        long max = active.values().stream().mapToLong(Long::longValue).max().orElse(0);
        double mean = active.values().stream().mapToLong(Long::longValue).average().orElse(0);
        return mean == 0 ? 0 : max / mean - 1;
    }

    @Test
    void shouldMoveConnectionsToAJoinedBackendWithinTheSpreadAndTheBudget() throws Exception {
        int n = 300;
        double maxSpread = 0.2;
        double share = 0.3;
        Moves moves = new Moves();
        BackendRegistry.Dynamic registry = BackendRegistry.dynamic();
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start(); EchoServer c = EchoServer.start();
             EchoServer d = EchoServer.start()) {
            registry.add(Backend.parse(a.hostPort()));
            registry.add(Backend.parse(b.hostPort()));
            registry.add(Backend.parse(c.hostPort()));
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(registry).probe(null)
                    .policy(BalancingPolicy.leastConnections()).eventLoops(2).listener(moves)
                    .rebalance(Duration.ofMillis(100), maxSpread, share).build()) {
                lb.start();
                try (Reconnecting clients = new Reconnecting(lb.addresses().get(0), n)) {
                    Await.until("all relayed", () -> lb.stats().activeConnections() == n, WAIT);
                    assertEquals(0, moves.total(), "balanced at the start: nothing moved");
                    Map<String, Long> before = active(lb);
                    long startNs = System.nanoTime();
                    registry.add(Backend.parse(d.hostPort()));
                    Await.until("the joined backend takes its share", () -> {
                        Map<String, Long> now = active(lb);
                        return now.size() == 4 && now.values().stream().mapToLong(Long::longValue).sum() == n
                                && spread(now) <= maxSpread;
                    }, WAIT);
                    long tookMs = (System.nanoTime() - startNs) / 1_000_000;
                    Map<String, Long> after = active(lb);
                    System.out.println("rebalance 3 -> 4 backends, " + n + " connections: before " + before
                            + ", after " + after + " in " + tookMs + " ms, moved " + moves.byBackend
                            + ", reconnects " + clients.reconnects.get());
                    assertTrue(spread(after) <= maxSpread, "within the spread: " + after);
                    assertTrue(after.get(d.hostPort()) > 0, "the joined backend has connections: " + after);
                    // the budget: never more than the share of a backend's connections in a minute
                    for (Map.Entry<String, AtomicInteger> e : moves.byBackend.entrySet()) {
                        assertTrue(e.getValue().get() <= Math.floor(share * before.get(e.getKey())),
                                "moves from " + e.getKey() + " within " + share + " of " + before.get(e.getKey())
                                        + ": " + e.getValue());
                    }
                    assertTrue(!moves.byBackend.containsKey(d.hostPort()), "nothing moved off the joined backend");
                    assertEquals(moves.total(), lb.stats().rebalancedConnections(), "every move counted once");
                    assertTrue(tookMs < 60_000, "within the first budget minute");
                }
            }
        }
    }
}
