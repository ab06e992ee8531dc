package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class AcceptPacingTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long SECOND_NS = 1_000_000_000L;

    /** Records when each connection reached its backend, per backend, and counts rejections. */
    static final class Openings implements BalancerListener {
        final Queue<Long> times = new ConcurrentLinkedQueue<>();
        final Map<String, Queue<Long>> byBackend = new ConcurrentHashMap<>();
        final AtomicInteger rejected = new AtomicInteger();

        @Override
        public void connectionOpened(ConnectionEvent event) {
            long now = System.nanoTime();
            times.add(now);
            byBackend.computeIfAbsent(event.backend().name(), k -> new ConcurrentLinkedQueue<>()).add(now);
        }

        @Override
        public void connectionRejected(ConnectionEvent event) {
            rejected.incrementAndGet();
        }

        /** The most openings in any window of one second that starts at an opening. */
        static int busiestSecond(Queue<Long> times) {
            long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
            int most = 0;
            int end = 0;
            for (int start = 0; start < sorted.length; start++) {
                while (end < sorted.length && sorted[end] - sorted[start] < SECOND_NS) {
                    end++;
                }
                most = Math.max(most, end - start);
            }
            return most;
        }
    }

    @Test
    void shouldHoldTheAcceptRateUnderABurstAndLetEveryClientWaitInTheBacklog() throws Exception {
        int n = 300;
        int rate = 100;
        int burst = 20;
        Openings openings = new Openings();
        try (EchoServer a = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).probe(null).eventLoops(2)
                     .acceptRate(rate, burst).listener(openings).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            List<SocketChannel> clients = new ArrayList<>();
            // accepted counts sampled from stats: {before the snapshot, after it, accepted}
            List<long[]> samples = new ArrayList<>();
            Thread opener = new Thread(() -> {
                try {
                    for (int i = 0; i < n; i++) {
                        clients.add(SocketChannel.open(front)); // the kernel completes it in the backlog
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, "opener");
            long startNs = System.nanoTime();
            samples.add(new long[] {startNs, startNs, 0});
            opener.start();
            try {
                long deadline = startNs + WAIT.toNanos();
                while (samples.get(samples.size() - 1)[2] < n && System.nanoTime() - deadline < 0) {
                    long before = System.nanoTime();
                    long accepted = lb.stats().totalConnections();
                    samples.add(new long[] {before, System.nanoTime(), accepted});
                    Thread.sleep(5); // a sampling interval: the loop ends on the count, not on time
                }
                opener.join(WAIT.toMillis());
                long tookMs = (samples.get(samples.size() - 1)[1] - startNs) / 1_000_000;
                assertEquals(n, samples.get(samples.size() - 1)[2], "every client accepted");
                // any two samples: accepted between them <= burst + rate * (time between them, widest) + 1
                double worst = 0;
                int[] perHalfSecond = new int[8];
                long previous = 0;
                for (int j = 1; j < samples.size(); j++) {
                    long[] sj = samples.get(j);
                    perHalfSecond[(int) Math.min(7, (sj[1] - startNs) / (SECOND_NS / 2))] += (int) (sj[2] - previous);
                    previous = sj[2];
                    for (int i = 0; i < j; i++) {
                        long[] si = samples.get(i);
                        double allowed = burst + rate * (sj[1] - si[0]) / (double) SECOND_NS + 1;
                        worst = Math.max(worst, (sj[2] - si[2]) / allowed);
                        assertTrue(sj[2] - si[2] <= allowed, (sj[2] - si[2]) + " accepted in "
                                + (sj[1] - si[0]) / 1_000_000 + " ms (at most burst + rate allowed: " + allowed + ")");
                    }
                }
                System.out.println("accept pacing " + rate + "/s burst " + burst + ": " + n + " clients accepted in "
                        + tookMs + " ms, per half second " + Arrays.toString(perHalfSecond)
                        + ", fullest window at " + Math.round(worst * 100) + "% of burst + rate");
                assertTrue(tookMs >= (n - burst) * 1000L / rate * 9 / 10, "paced: " + tookMs + " ms");
                Await.until("every client relayed", () -> openings.times.size() == n, WAIT);
                assertEquals(0, openings.rejected.get(), "nobody refused or reset");
                assertEquals(n, lb.connections().size(), "every client relayed");
                BalancerStats.AcceptPauses pauses = lb.stats().acceptPauses();
                assertTrue(pauses.rate() >= 1, "the pauses are counted: " + pauses);
                assertEquals(0, pauses.limit(), "no connection limit was set");
            } finally {
                opener.join(WAIT.toMillis());
                PacedDrainTest.closeAll(clients);
            }
        }
    }

    @Test
    void shouldSkipABackendWhoseConnectRateIsSpentForTheNextInTheFallbackOrder() throws Exception {
        int n = 40;
        int rate = 10;
        Openings openings = new Openings();
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .policy(BalancingPolicy.roundRobin()).probe(null).eventLoops(1).backendConnectRate(rate)
                     .listener(openings).build()) {
            lb.start();
            long startNs = System.nanoTime();
            List<SocketChannel> clients = new ArrayList<>();
            try {
                clients.addAll(PacedDrainTest.open(lb.addresses().get(0), n));
                Await.until("every client placed or refused",
                        () -> openings.times.size() + openings.rejected.get() == n, WAIT);
                long tookMs = (System.nanoTime() - startNs) / 1_000_000;
                int opened = openings.times.size();
                System.out.println("backend connect rate " + rate + "/s, " + n + " clients in " + tookMs + " ms: "
                        + opened + " placed, " + openings.rejected.get() + " refused");
                for (Queue<Long> times : openings.byBackend.values()) {
                    int busiest = Openings.busiestSecond(times);
                    assertTrue(busiest <= 2 * rate + 2, "at most burst + rate per backend in any second: " + busiest);
                }
                if (tookMs < 500) { // refills during the burst are at most 5 per backend
                    assertTrue(opened >= 2 * rate, "both buckets used: a spent backend passes to the next: " + opened);
                    assertTrue(opened <= 2 * rate + 10, "no more than the buckets held: " + opened);
                }
                assertEquals(2, openings.byBackend.size(), "both backends took connections");
            } finally {
                PacedDrainTest.closeAll(clients);
            }
        }
    }

    @Test
    void shouldRejectBadRatesNamingTheSetting() {
        Balancer.Builder builder = Balancer.builder();
        assertEquals("acceptRate: 0 (expected: >= 1)",
                assertThrows(IllegalArgumentException.class, () -> builder.acceptRate(0, 1)).getMessage());
        assertEquals("acceptRate burst: 0 (expected: >= 1)",
                assertThrows(IllegalArgumentException.class, () -> builder.acceptRate(10, 0)).getMessage());
        assertEquals("backendConnectRate: -1 (expected: >= 0)",
                assertThrows(IllegalArgumentException.class, () -> builder.backendConnectRate(-1)).getMessage());
        assertEquals("rebalance interval: 1ms (expected: >= 10ms)", assertThrows(IllegalArgumentException.class,
                () -> builder.rebalance(Duration.ofMillis(1), 0.2, 0.1)).getMessage());
        assertEquals("rebalance maxSpread: 0.0 (expected: > 0)", assertThrows(IllegalArgumentException.class,
                () -> builder.rebalance(Duration.ofSeconds(1), 0, 0.1)).getMessage());
        assertEquals("rebalance maxSharePerMinute: 1.5 (expected: > 0 and <= 1)",
                assertThrows(IllegalArgumentException.class,
                        () -> builder.rebalance(Duration.ofSeconds(1), 0.2, 1.5)).getMessage());
    }
}
