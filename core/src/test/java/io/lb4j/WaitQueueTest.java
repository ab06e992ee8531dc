package io.lb4j;

import static io.lb4j.testing.ClientEnd.closedByPeer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.Cleanup;
import io.lb4j.testing.CountingEchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The queue of clients waiting while every backend is at its connection limit, through a real balancer
 * on loopback: arrival order, timeout, the cap on waiters, and the per-backend limit under concurrent
 * connects on two event loops.
 */
@ExtendWith(FaultOracle.class)
class WaitQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    private CountingEchoServer backend() {
        return cleanup.track(CountingEchoServer.start(false));
    }

    private Balancer start(Balancer.Builder builder) {
        Balancer lb = builder.listen("127.0.0.1:0").probe(null).drainTimeout(Duration.ZERO)
                .policy(BalancingPolicy.roundRobin()).build();
        cleanup.track(lb::closeNow);
        lb.start();
        return lb;
    }

    private Socket connect(Balancer lb) throws IOException {
        return cleanup.connect(lb, WAIT);
    }

    /** Sends {@code id} and reads it back through the balancer: the client reached the backend. */
    private static void roundTrip(Socket s, int id) throws IOException {
        s.getOutputStream().write(id);
        assertEquals(id, s.getInputStream().read(), "echo of " + id);
    }

    @Test
    void shouldServeWaitingClientsInArrivalOrderAcrossLoops() throws Exception {
        CountingEchoServer backend = backend();
        Balancer lb = start(Balancer.builder().backends(List.of(backend.backend(1))).eventLoops(2)
                .queueTimeout(Duration.ofSeconds(30)));
        Socket holder = connect(lb);
        roundTrip(holder, 100);
        assertEquals(100, backend.firstBytes.poll(10, TimeUnit.SECONDS));
        List<Socket> waiting = new ArrayList<>();
        for (int id = 1; id <= 6; id++) {
            Socket s = connect(lb);
            s.getOutputStream().write(id); // waits in the client's socket while it is queued
            waiting.add(s);
            int queued = id;
            Await.until(queued + " waiting", () -> lb.stats().queue().waiting() == queued, WAIT);
        }
        assertEquals(1, backend.accepted.get(), "nobody reached the full backend");
        holder.close();
        for (int id = 1; id <= 6; id++) {
            Integer next = backend.firstBytes.poll(10, TimeUnit.SECONDS);
            assertEquals(id, next, "served in arrival order");
            Socket s = waiting.get(id - 1);
            assertEquals(id, s.getInputStream().read(), "its early byte went through");
            assertEquals(6 - id, lb.stats().queue().waiting());
            s.close();
        }
        BalancerStats stats = lb.stats();
        assertEquals(6, stats.queue().served());
        assertTrue(stats.queue().waitedNanos() > 0);
        assertEquals(0, stats.unserved().total());
        assertEquals(1, backend.most.get(), "never two at once on a backend limited to one");
    }

    @Test
    void shouldCloseAndCountAClientThatWaitedLongerThanTheTimeout() throws Exception {
        CountingEchoServer backend = backend();
        List<ConnectionEvent> rejected = new CopyOnWriteArrayList<>();
        Balancer lb = start(Balancer.builder().backends(List.of(backend.backend(1))).eventLoops(1)
                .queueTimeout(Duration.ofMillis(300)).listener(new BalancerListener() {
                    @Override
                    public void connectionRejected(ConnectionEvent event) {
                        rejected.add(event);
                    }
                }));
        Socket holder = connect(lb);
        roundTrip(holder, 1);
        long started = System.nanoTime();
        Socket late = connect(lb);
        assertTrue(closedByPeer(late, Duration.ofSeconds(10)), "closed after the queue timeout");
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(waitedMs >= 290 && waitedMs < 5_000, waitedMs + " ms");
        Await.until("counted", () -> lb.stats().unserved().queueTimeout() == 1, WAIT);
        assertEquals(0, lb.stats().queue().waiting());
        assertEquals(0, lb.stats().queue().served());
        assertEquals(1, rejected.size());
        assertEquals("no backend slot within the queue timeout", rejected.get(0).reason());
        roundTrip(holder, 2); // the connection holding the slot is untouched
        assertEquals(1, backend.accepted.get());
    }

    @Test
    void shouldCloseNewcomersAtOnceWhileMaxQueuedClientsWait() throws Exception {
        CountingEchoServer backend = backend();
        Balancer lb = start(Balancer.builder().backends(List.of(backend.backend(1))).eventLoops(2)
                .queueTimeout(Duration.ofSeconds(30)).maxQueued(2));
        Socket holder = connect(lb);
        roundTrip(holder, 9);
        Socket first = connect(lb);
        first.getOutputStream().write(1);
        Await.until("1 waiting", () -> lb.stats().queue().waiting() == 1, WAIT);
        Socket second = connect(lb);
        second.getOutputStream().write(2);
        Await.until("2 waiting", () -> lb.stats().queue().waiting() == 2, WAIT);
        long started = System.nanoTime();
        Socket third = connect(lb);
        assertTrue(closedByPeer(third, Duration.ofSeconds(10)), "no room in the queue");
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "closed at once, not after a wait");
        Await.until("counted as backend-full", () -> lb.stats().unserved().backendFull() == 1, WAIT);
        assertEquals(2, lb.stats().queue().waiting());
        holder.close();
        assertEquals(1, first.getInputStream().read());
        first.close();
        assertEquals(2, second.getInputStream().read());
        assertEquals(0, lb.stats().unserved().queueTimeout());
    }

    @Test
    void shouldNeverOpenOneConnectionOverABackendsLimitUnderConcurrentConnectsOnTwoLoops() throws Exception {
        CountingEchoServer one = backend();
        CountingEchoServer two = backend();
        int limit = 3;
        Balancer lb = start(Balancer.builder().backends(List.of(one.backend(limit), two.backend(limit)))
                .eventLoops(2).queueTimeout(Duration.ofSeconds(30)).maxQueued(1000));
        int clients = 80;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        cleanup.track(pool::shutdownNow);
        AtomicInteger sampledOver = new AtomicInteger();
        AtomicInteger samples = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                samples.incrementAndGet();
                if (one.current.get() > limit || two.current.get() > limit) {
                    sampledOver.incrementAndGet();
                }
                for (BalancerStats.BackendStats b : lb.stats().backends()) {
                    if (b.activeConnections() > limit) {
                        sampledOver.incrementAndGet();
                    }
                }
                Thread.onSpinWait();
            }
        });
        sampler.start();
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                int id = i;
                done.add(pool.submit(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(lb.addresses().get(0), 5_000);
                        s.setSoTimeout(20_000);
                        // a short exchange, so connections come and go while others queue
                        for (int k = 0; k < 3; k++) {
                            s.getOutputStream().write(id & 0x7F);
                            assertEquals(id & 0x7F, s.getInputStream().read());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            sampler.interrupt();
            sampler.join(5_000);
        }
        assertTrue(samples.get() > 0);
        assertEquals(0, sampledOver.get(), "a sample saw a backend over its limit");
        assertTrue(one.most.get() <= limit, "backend one held " + one.most.get() + " at once");
        assertTrue(two.most.get() <= limit, "backend two held " + two.most.get() + " at once");
        assertEquals(clients, one.accepted.get() + two.accepted.get(), "every client served");
        BalancerStats stats = lb.stats();
        assertEquals(0, stats.unserved().total());
        assertTrue(stats.queue().served() > 0, "some clients waited: the limit was reached");
        Await.until("queue empty", () -> lb.stats().queue().waiting() == 0, WAIT);
    }

    @Test
    void shouldCloseAtOnceWithoutAQueueAsBefore() throws Exception {
        CountingEchoServer backend = backend();
        Balancer lb = start(Balancer.builder().backends(List.of(backend.backend(1))).eventLoops(1));
        Socket holder = connect(lb);
        roundTrip(holder, 1);
        Socket late = connect(lb);
        assertTrue(closedByPeer(late, Duration.ofSeconds(5)));
        Await.until("counted as backend-full", () -> lb.stats().unserved().backendFull() == 1, WAIT);
        assertEquals(0, lb.stats().queue().waiting());
    }

    @Test
    void shouldRejectBadQueueSettingsNamingThem() {
        Balancer.Builder b = Balancer.builder();
        IllegalArgumentException timeout = assertThrows(IllegalArgumentException.class,
                () -> b.queueTimeout(Duration.ofMillis(-1)));
        assertEquals("queueTimeout: -1ms (expected: >= 0)", timeout.getMessage());
        IllegalArgumentException max = assertThrows(IllegalArgumentException.class, () -> b.maxQueued(0));
        assertEquals("maxQueued: 0 (expected: >= 1)", max.getMessage());
        assertNotNull(b.queueTimeout(Duration.ZERO).maxQueued(1));
    }
}
