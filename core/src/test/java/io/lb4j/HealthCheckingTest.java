package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.HttpTestServer;
import io.lb4j.testing.TagServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Health checking through a real balancer, real backends and real clients on loopback. */
@ExtendWith(FaultOracle.class)
class HealthCheckingTest {

    private static Balancer.Builder balancer(TagServer... backends) {
        Balancer.Builder b = Balancer.builder().listen("127.0.0.1:0").eventLoops(1)
                .policy(BalancingPolicy.roundRobin()).connectTimeout(Duration.ofSeconds(1)).drainTimeout(Duration.ZERO);
        for (TagServer s : backends) {
            b.backend(s.hostPort());
        }
        return b;
    }

    /** Connects a client and returns the tag of the backend it reached, or -1 if closed at once. */
    private static int reach(Balancer lb) throws IOException {
        try (Socket client = new Socket()) {
            client.connect(lb.addresses().get(0), 2_000);
            client.setSoTimeout(3_000);
            return client.getInputStream().read();
        }
    }

    private static BalancerStats.BackendStats stats(Balancer lb, int port) {
        for (BalancerStats.BackendStats s : lb.stats().backends()) {
            if (s.backend().port() == port) {
                return s;
            }
        }
        throw new AssertionError("no backend on port " + port);
    }

    @Test
    void shouldMarkDownABackendThatAnswersNothingOrTooSlowly() throws Exception {
        try (HttpTestServer ok = HttpTestServer.start(HttpTestServer.status(204));
             HttpTestServer silent = HttpTestServer.start(HttpTestServer.silent());
             HttpTestServer slow = HttpTestServer.start(HttpTestServer.after(Duration.ofSeconds(3),
                     HttpTestServer.status(200)));
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").eventLoops(1)
                     .backend("127.0.0.1:" + ok.port()).backend("127.0.0.1:" + silent.port())
                     .backend("127.0.0.1:" + slow.port()).probe(HealthProbe.http("/ready"))
                     .probeTimeout(Duration.ofSeconds(1)).probeInterval(Duration.ofSeconds(30)).build()) {
            lb.start(); // returns after the first round: each probe answered or timed out
            assertEquals(HealthState.UP, stats(lb, ok.port()).state(), stats(lb, ok.port()).reason());
            assertEquals("probe: timeout", stats(lb, silent.port()).reason());
            assertEquals(HealthState.DOWN, stats(lb, silent.port()).state());
            assertEquals(HealthState.DOWN, stats(lb, slow.port()).state());
            assertEquals("probe: timeout", stats(lb, slow.port()).reason());
        }
    }

    @Test
    void shouldKeepForwardingAndProbingWhenACustomProbeBlocksForeverOrThrows() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger stuckCalls = new AtomicInteger();
        AtomicInteger healthyCalls = new AtomicInteger();
        try (TagServer stuck = TagServer.start('s'); TagServer healthy = TagServer.start('h');
             TagServer throwing = TagServer.start('t')) {
            HealthProbe probe = HealthProbe.blocking(backend -> {
                if (backend.port() == stuck.port()) {
                    stuckCalls.incrementAndGet();
                    while (release.getCount() > 0) { // ignores interrupts: the worst a user can write
                        try {
                            release.await();
                        } catch (InterruptedException ignored) {
                            // keep blocking
                        }
                    }
                    return true;
                }
                if (backend.port() == throwing.port()) {
                    throw new IllegalStateException("boom");
                }
                healthyCalls.incrementAndGet();
                return true;
            });
            try (Balancer lb = balancer(stuck, healthy, throwing).probe(probe)
                    .probeInterval(Duration.ofMillis(200)).probeTimeout(Duration.ofMillis(100)).build()) {
                lb.start();
                assertEquals(HealthState.DOWN, stats(lb, stuck.port()).state());
                assertEquals("probe: timeout", stats(lb, stuck.port()).reason());
                assertEquals("probe: probe threw IllegalStateException", stats(lb, throwing.port()).reason());
                assertEquals(HealthState.UP, stats(lb, healthy.port()).state());
                int before = healthyCalls.get();
                Await.until("healthy backend probed on", () -> healthyCalls.get() >= before + 5, Duration.ofSeconds(5));
                assertEquals('h', reach(lb));
                assertEquals('h', reach(lb));
                assertEquals(HealthState.UP, stats(lb, healthy.port()).state());
                assertEquals(1, stuckCalls.get(), "a hung check holds one thread, not one per interval");
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void shouldFailOverWithinThreeSecondsAndTakeTheBackendBackWhenItReturns() throws Exception {
        TagServer a = TagServer.start('a');
        TagServer b = TagServer.start('b');
        int portB = b.port();
        try (Balancer lb = balancer(a, b).probeInterval(Duration.ofSeconds(1)).unhealthyThreshold(2)
                .passiveFailureThreshold(0).probeTimeout(Duration.ofMillis(500)).build()) {
            lb.start();
            assertEquals(HealthState.UP, stats(lb, portB).state());
            long killedNs = System.nanoTime();
            b.close();
            Await.until("b marked down", () -> stats(lb, portB).state() == HealthState.DOWN, Duration.ofSeconds(3));
            assertTrue(System.nanoTime() - killedNs < 3_000_000_000L);
            long failures = stats(lb, portB).connectFailures();
            for (int i = 0; i < 6; i++) {
                assertEquals('a', reach(lb));
            }
            assertEquals(failures, stats(lb, portB).connectFailures(), "no connection attempts to a down backend");
            b = TagServer.start('b', portB);
            Await.until("b back up", () -> stats(lb, portB).state() == HealthState.UP, Duration.ofSeconds(3));
            Await.until("a new client reaches b again", () -> {
                try {
                    return reach(lb) == 'b';
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, Duration.ofSeconds(3));
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void shouldGiveAReturningBackendItsFullShareAtOnceUnlessSlowStartIsAsked() throws Exception {
        for (boolean slow : new boolean[] {false, true}) {
            TagServer a = TagServer.start('a');
            TagServer b = TagServer.start('b');
            int portB = b.port();
            // weighted round robin with equal weights alternates exactly, and it can ramp a returning backend
            BalancingPolicy policy = slow ? BalancingPolicy.weightedRoundRobin().withSlowStart(Duration.ofSeconds(60))
                    : BalancingPolicy.weightedRoundRobin();
            try (Balancer lb = balancer(a, b).policy(policy).probeInterval(Duration.ofMillis(200))
                    .unhealthyThreshold(1).passiveFailureThreshold(0).probeTimeout(Duration.ofMillis(500)).build()) {
                lb.start();
                b.close();
                Await.until("b marked down", () -> stats(lb, portB).state() == HealthState.DOWN, Duration.ofSeconds(5));
                b = TagServer.start('b', portB);
                Await.until("b back up", () -> stats(lb, portB).state() == HealthState.UP, Duration.ofSeconds(5));
                // the rebuilt selection (on the control thread a moment after the state) lists b as usable
                InetSocketAddress asker = new InetSocketAddress("127.0.0.1", 40000);
                Await.until("b usable in the selection", () -> lb.explain(asker).candidates().stream().anyMatch(c ->
                        c.backend().port() == portB && (c.reason() == null || c.reason().equals("fallback"))),
                        Duration.ofSeconds(5));
                int toB = 0;
                for (int i = 0; i < 20; i++) {
                    toB += reach(lb) == 'b' ? 1 : 0;
                }
                if (slow) {
                    assertTrue(toB < 10, "a 60 s slow start holds b below its share in its first seconds: " + toB);
                } else {
                    assertEquals(10, toB, "no ramp by default: b takes every other client at once");
                }
            } finally {
                a.close();
                b.close();
            }
        }
    }

    @Test
    void shouldMarkDownOnConsecutiveConnectFailuresBeforeTheProbeNotices() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        TagServer a = TagServer.start('a');
        TagServer b = TagServer.start('b');
        try (Balancer lb = balancer(a, b).probeInterval(Duration.ofMinutes(10)).passiveFailureThreshold(2)
                .listener(new BalancerListener() {
                    @Override
                    public void backendStateChanged(Backend backend, HealthState from, HealthState to, String why) {
                        events.add(backend.port() + " " + from + "->" + to + " " + why);
                    }
                }).build()) {
            lb.start();
            b.close();
            for (int i = 0; i < 4; i++) {
                assertEquals('a', reach(lb)); // failover hides b's refusals from clients
            }
            Await.until("passive down", () -> stats(lb, b.port()).state() == HealthState.DOWN, Duration.ofSeconds(3));
            assertTrue(stats(lb, b.port()).reason().startsWith("passive: 2 connect failures in a row"),
                    stats(lb, b.port()).reason());
            assertEquals(2, stats(lb, b.port()).connectFailures());
            long downEvents = events.stream().filter(e -> e.startsWith(b.port() + " UP->DOWN passive")).count();
            assertEquals(1, downEvents, events.toString());
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void shouldCloseNewClientsAtOnceWhenAllAreDownUnlessInPanicMode() throws Exception {
        try (TagServer a = TagServer.start('a'); TagServer b = TagServer.start('b')) {
            HealthProbe failing = HealthProbe.async(backend -> CompletableFuture.completedFuture(false));
            try (Balancer lb = balancer(a, b).probe(failing).probeInterval(Duration.ofMinutes(10)).build()) {
                lb.start();
                assertEquals(-1, reach(lb));
                assertEquals(0, a.accepted() + b.accepted());
            }
            try (Balancer lb = balancer(a, b).probe(failing).probeInterval(Duration.ofMinutes(10))
                    .panicMode(true).build()) {
                lb.start();
                int first = reach(lb);
                int second = reach(lb);
                assertEquals(Math.min(first, second), 'a');
                assertEquals(Math.max(first, second), 'b');
            }
        }
    }

    @Test
    void shouldKeepOpenConnectionsOfAnUnhealthyBackendUnlessAskedToCloseThem() throws Exception {
        for (boolean close : new boolean[] {false, true}) {
            AtomicBoolean healthy = new AtomicBoolean(true);
            try (TagServer a = TagServer.start('a');
                 Balancer lb = balancer(a).probe(HealthProbe.blocking(backend -> healthy.get()))
                         .probeInterval(Duration.ofMillis(100)).unhealthyThreshold(1).closeOnUnhealthy(close).build()) {
                lb.start();
                try (Socket client = new Socket()) {
                    client.connect(lb.addresses().get(0), 2_000);
                    client.setSoTimeout(3_000);
                    InputStream in = client.getInputStream();
                    assertEquals('a', in.read());
                    healthy.set(false);
                    Await.until("down", () -> stats(lb, a.port()).state() == HealthState.DOWN, Duration.ofSeconds(3));
                    if (close) {
                        assertEquals(-1, in.read(), "closed by the balancer");
                    } else {
                        client.setSoTimeout(300);
                        try {
                            int read = in.read();
                            throw new AssertionError("connection ended or sent " + read);
                        } catch (SocketTimeoutException expected) {
                            // still open, nothing to read: kept running
                        }
                        assertEquals(1, a.open());
                    }
                }
            }
        }
    }

    @Test
    void shouldStartAsAskedBeforeTheFirstProbe() throws Exception {
        AtomicBoolean pass = new AtomicBoolean(false);
        HealthProbe probe = HealthProbe.blocking(backend -> pass.get());
        try (TagServer a = TagServer.start('a')) {
            try (Balancer lb = balancer(a).probe(probe).probeInterval(Duration.ofMinutes(10)).build()) {
                lb.start();
                assertEquals(HealthState.DOWN, stats(lb, a.port()).state(), "unknown: the first failure decides");
            }
            try (Balancer lb = balancer(a).probe(probe).probeInterval(Duration.ofMinutes(10))
                    .initialHealth(HealthState.UP).unhealthyThreshold(2).build()) {
                lb.start();
                assertEquals(HealthState.UP, stats(lb, a.port()).state(), "up: one failure of two");
                assertEquals('a', reach(lb));
            }
            pass.set(true);
            try (Balancer lb = balancer(a).probe(probe).probeInterval(Duration.ofMinutes(10))
                    .initialHealth(HealthState.DOWN).healthyThreshold(2).build()) {
                lb.start();
                assertEquals(HealthState.DOWN, stats(lb, a.port()).state(), "down: one success of two");
                assertEquals(-1, reach(lb));
            }
        }
    }

    @Test
    void shouldLetTheFirstProbeDecideAtOnceWhateverTheThresholds() throws Exception {
        try (TagServer a = TagServer.start('a')) {
            try (Balancer lb = balancer(a).probe(HealthProbe.blocking(backend -> true)).healthyThreshold(3)
                    .probeInterval(Duration.ofMinutes(10)).build()) {
                lb.start(); // the ready line: after every first probe
                assertEquals(HealthState.UP, stats(lb, a.port()).state(), "one success of three is up at first");
                assertEquals('a', reach(lb));
            }
            try (Balancer lb = balancer(a).probe(HealthProbe.blocking(backend -> false)).unhealthyThreshold(5)
                    .probeInterval(Duration.ofMinutes(10)).build()) {
                lb.start();
                assertEquals(HealthState.DOWN, stats(lb, a.port()).state(), "one failure of five is down at first");
            }
            long started = System.nanoTime();
            try (Balancer lb = balancer(a).probe(target -> new CompletableFuture<>()).unhealthyThreshold(5)
                    .probeTimeout(Duration.ofMillis(300)).probeInterval(Duration.ofMinutes(10)).build()) {
                lb.start(); // a first probe that never answers holds start only for its timeout
                assertTrue(System.nanoTime() - started >= Duration.ofMillis(300).toNanos(), "waited for the timeout");
                assertEquals(HealthState.DOWN, stats(lb, a.port()).state(), "a timeout is a failure");
                assertEquals("probe: timeout", stats(lb, a.port()).reason());
            }
        }
    }

    @Test
    void shouldProbeUpAndDownBackendsAtTheIntervalStartToStartWithinTenPercentJitter() throws Exception {
        long intervalMs = 300;
        List<Long> upTimes = new CopyOnWriteArrayList<>();
        List<Long> downTimes = new CopyOnWriteArrayList<>();
        try (HttpTestServer up = HttpTestServer.start((head, socket, server) -> {
                upTimes.add(System.nanoTime());
                HttpTestServer.status(200).respond(head, socket, server);
            });
             // the slow answer: start to start, a probe's own duration does not stretch the interval
             HttpTestServer down = HttpTestServer.start((head, socket, server) -> {
                 downTimes.add(System.nanoTime());
                 HttpTestServer.after(Duration.ofMillis(100), HttpTestServer.status(503)).respond(head, socket, server);
             });
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + up.port())
                     .backend("127.0.0.1:" + down.port()).probe(HealthProbe.http("/")).eventLoops(1)
                     .probeInterval(Duration.ofMillis(intervalMs)).build()) {
            lb.start();
            Await.until("nine probes each", () -> upTimes.size() >= 9 && downTimes.size() >= 9,
                    Duration.ofSeconds(15));
            for (List<Long> times : List.of(upTimes, downTimes)) {
                long total = times.get(8) - times.get(0);
                double meanMs = total / 8 / 1e6;
                assertTrue(meanMs >= intervalMs * 0.9 && meanMs <= intervalMs * 1.1 + 20, "mean gap " + meanMs + " ms");
                for (int i = 1; i < 9; i++) {
                    long gapMs = (times.get(i) - times.get(i - 1)) / 1_000_000;
                    // +-10% jitter, plus scheduling slack on a shared machine; the times are arrivals at the
                    // test server, so a late arrival of the previous probe (its thread not scheduled at once)
                    // shortens the next measured gap by as much: the lower bound allows that, the mean above
                    // keeps the interval itself strict
                    assertTrue(gapMs >= intervalMs * 0.9 - 60 && gapMs <= intervalMs * 1.1 + 120, "gap " + gapMs + " ms");
                }
            }
        }
    }

    @Test
    void shouldCountEveryBackendUpWithPassiveChecksOffWithoutAProbe() throws Exception {
        int dead;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = closed.getLocalPort(); // nothing listens there once closed
        }
        try (TagServer a = TagServer.start('a');
             Balancer lb = balancer(a).backend("127.0.0.1:" + dead).probe(null).passiveFailureThreshold(1).build()) {
            lb.start();
            for (int i = 0; i < 6; i++) {
                assertEquals('a', reach(lb)); // the refused attempts fail over to a
            }
            Await.until("refusals counted", () -> stats(lb, dead).connectFailures() >= 3, Duration.ofSeconds(3));
            assertEquals(HealthState.UP, stats(lb, dead).state(), "--probe none: always up, even after refusals");
            assertTrue(stats(lb, dead).up());
        }
    }

    @Test
    void shouldNameTheSettingOfABadValue() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Balancer.builder().passiveFailureThreshold(-1));
        assertEquals("passiveFailureThreshold: -1 (expected: >= 0)", e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                () -> Balancer.builder().initialHealth(null));
    }
}
