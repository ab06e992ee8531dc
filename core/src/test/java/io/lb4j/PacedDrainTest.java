package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class PacedDrainTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Records when each connection closed for a given reason (nanoTime, on the loop). */
    static final class CloseTimes implements BalancerListener {
        final String reason;
        final Queue<Long> times = new ConcurrentLinkedQueue<>();

        CloseTimes(String reason) {
            this.reason = reason;
        }

        @Override
        public void connectionClosed(ConnectionEvent event) {
            if (reason.equals(event.reason())) {
                times.add(System.nanoTime());
            }
        }

        /** Closes per slice of {@code sliceMs} since {@code startNs}. */
        int[] histogram(long startNs, long sliceMs, int slices) {
            int[] counts = new int[slices];
            for (long t : times) {
                int slice = (int) ((t - startNs) / (sliceMs * 1_000_000));
                counts[Math.min(slices - 1, Math.max(0, slice))]++;
            }
            return counts;
        }

        long latestNs() {
            return times.stream().mapToLong(Long::longValue).max().orElseThrow();
        }
    }

    static List<SocketChannel> open(InetSocketAddress front, int n) throws IOException {
        List<SocketChannel> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(SocketChannel.open(front));
        }
        return list;
    }

    static void closeAll(List<SocketChannel> channels) {
        for (SocketChannel c : channels) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing test clients
            }
        }
    }

    @Test
    void shouldCloseAThousandConnectionsSpreadOverTheWindowAndNoneAfterTheDeadline() throws Exception {
        int n = 1000;
        CloseTimes drains = new CloseTimes("drain");
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .policy(BalancingPolicy.sourceIp()).probe(null).eventLoops(2).listener(drains).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            Backend owner = lb.explain(new InetSocketAddress(front.getAddress(), 1)).chosen();
            EchoServer drained = owner.name().equals(a.hostPort()) ? a : b;
            EchoServer other = drained == a ? b : a;
            List<SocketChannel> clients = open(front, n);
            try {
                Await.until("all relayed", () -> lb.connections(owner).size() == n, WAIT);
                long startNs = System.nanoTime();
                var report = lb.drain(owner, Duration.ofSeconds(5), Duration.ofSeconds(6), false)
                        .toCompletableFuture();
                try (Socket late = new Socket(front.getAddress(), front.getPort())) {
                    late.setSoTimeout(10_000);
                    ConnectionHandlesTest.roundTrip(late, 10);
                    assertEquals(1, lb.connections(Backend.parse(other.hostPort())).size(),
                            "a new client during the drain goes to the other backend");
                    DrainReport done = report.get(20, TimeUnit.SECONDS);
                    assertEquals(n, done.closed(), "every connection closed at its paced time: " + done);
                    assertEquals(0, done.endedByThemselves());
                    assertEquals(0, done.closedAtEnd(), "the pacing kept up");
                    assertEquals(n, drains.times.size());
                    int[] perSecond = drains.histogram(startNs, 1000, 6);
                    System.out.println("drain of " + n + " over 5 s, closes per second: " + Arrays.toString(perSecond)
                            + ", last at " + (drains.latestNs() - startNs) / 1_000_000 + " ms, " + done);
                    for (int s = 0; s < 5; s++) {
                        assertTrue(perSecond[s] >= n * 15 / 100 && perSecond[s] <= n * 25 / 100,
                                "second " + s + " of the window holds 15-25% of the closes: "
                                        + Arrays.toString(perSecond));
                    }
                    assertTrue(drains.latestNs() - startNs <= Duration.ofSeconds(6).toNanos(),
                            "none closed after the deadline");
                    Await.until("backend side closed", () -> drained.open() == 0, WAIT);
                    assertEquals(1, lb.connections().size(), "only the late client's connection is left");
                }
            } finally {
                closeAll(clients);
            }
        }
    }

    @Test
    void shouldRejectBadArgumentsAndCloseOnlyTheConnectionsStillOpen() throws Exception {
        try (EchoServer a = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).probe(null)
                     .eventLoops(1).build()) {
            lb.start();
            List<SocketChannel> clients = open(lb.addresses().get(0), 20);
            try {
                Backend only = Backend.parse(a.hostPort());
                Await.until("all relayed", () -> lb.connections(only).size() == 20, WAIT);
                assertThrows(IllegalArgumentException.class,
                        () -> lb.drain(only, Duration.ofSeconds(2), Duration.ofSeconds(1), false));
                assertThrows(IllegalArgumentException.class,
                        () -> lb.drain(Backend.parse("127.0.0.1:1"), Duration.ofSeconds(1)));
                clients.get(0).close(); // ends by itself before its turn
                Await.until("one ended", () -> lb.connections(only).size() == 19, WAIT);
                DrainReport done = lb.drain(only, Duration.ofMillis(500), Duration.ofMillis(500), true)
                        .toCompletableFuture().get(20, TimeUnit.SECONDS);
                assertEquals(19, done.closed() + done.closedAtEnd(), done.toString());
                assertEquals(0, done.endedByThemselves(), "the ended one was not listed any more");
                assertEquals(0, lb.connections().size());
            } finally {
                closeAll(clients);
            }
        }
    }

    @Test
    void shouldPaceTheClosesOfBalancerCloseOverTheDrainPacing() throws Exception {
        int n = 200;
        CloseTimes paced = new CloseTimes("balancer draining");
        try (EchoServer a = EchoServer.start()) {
            Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).probe(null).eventLoops(2)
                    .drainPacing(Duration.ofSeconds(1)).drainTimeout(Duration.ofSeconds(10)).listener(paced).build();
            List<SocketChannel> clients = new ArrayList<>();
            try {
                lb.start();
                clients.addAll(open(lb.addresses().get(0), n));
                Await.until("all relayed", () -> lb.connections().size() == n, WAIT);
                long startNs = System.nanoTime();
                lb.close();
                long tookMs = (System.nanoTime() - startNs) / 1_000_000;
                assertEquals(n, paced.times.size(), "every connection closed by the pacing");
                assertTrue(tookMs >= 900 && tookMs < 5_000, "close took about the pacing window: " + tookMs + " ms");
                int[] quarters = paced.histogram(startNs, 250, 5);
                for (int q = 0; q < 4; q++) {
                    assertTrue(quarters[q] <= n * 35 / 100, "a quarter of the window holds at most 35%: "
                            + Arrays.toString(quarters));
                }
            } finally {
                lb.closeNow();
                closeAll(clients);
            }
        }
    }
}
