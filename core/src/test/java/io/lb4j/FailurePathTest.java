package io.lb4j;

import static io.lb4j.testing.ClientEnd.readOrReset;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.ChildJvm;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.EventRecorder;
import io.lb4j.testing.ExpectFaults;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A fault costs the one connection it hit: the whole pair closes through its normal close (both
 * sockets, the admission slot, the counters, the closing event), the listener stays open, and the
 * fault is counted once.
 */
@ExtendWith(FaultOracle.class)
class FailurePathTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A round robin whose first {@code failures} picks throw {@code error}. */
    private static BalancingPolicy failingFirst(int failures, Error error) {
        AtomicInteger calls = new AtomicInteger();
        BalancingPolicy inner = BalancingPolicy.roundRobin();
        return new BalancingPolicy() {
            @Override
            public String name() {
                return "failing-first";
            }

            @Override
            public Selection rebuild(List<Candidate> candidates, Selection previous) {
                Selection selection = inner.rebuild(candidates, null);
                return (flow, order) -> {
                    if (calls.getAndIncrement() < failures) {
                        throw error;
                    }
                    return selection.pick(flow, order);
                };
            }
        };
    }

    @ExpectFaults("event loop handler: NoClassDefFoundError")

    @Test
    void shouldCloseTheWholePairAndKeepTheListenerWhenThePolicyThrowsAnError() throws Exception {
        EventRecorder listener = new EventRecorder();
        BlockingQueue<ConnectionEvent> closedWithoutBackend = listener.rejected;
        try (EchoServer echo = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(echo.hostPort()).probe(null)
                     .policy(failingFirst(1, new NoClassDefFoundError("io/lb4j/Gone")))
                     .idleTimeout(Duration.ZERO).maxConnections(1).eventLoops(1).listener(listener).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            try (Socket first = new Socket(front.getAddress(), front.getPort())) {
                assertEquals(-1, readOrReset(first, WAIT), "the faulted client is closed, not left waiting");
            }
            Await.until("the pair's close to be counted", () -> lb.stats().activeConnections() == 0, WAIT);
            // the listener still accepts, and the one admission place came back
            try (Socket second = new Socket(front.getAddress(), front.getPort())) {
                second.setSoTimeout((int) WAIT.toMillis());
                byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
                second.getOutputStream().write(hello);
                assertArrayEquals(hello, second.getInputStream().readNBytes(hello.length));
            }
            Await.until("both closed", () -> lb.stats().activeConnections() == 0, WAIT);
            BalancerStats stats = lb.stats();
            assertEquals(2, stats.totalConnections());
            assertEquals(1, stats.faults(), "one fault, counted once");
            assertEquals(0, stats.backends().get(0).activeConnections());
            assertEquals(1, closedWithoutBackend.size());
            assertEquals("internal error", closedWithoutBackend.peek().reason());
        }
    }

    @ExpectFaults("listener: AssertionError")

    @Test
    void shouldKeepTheListenerWhenARejectionListenerThrowsAnError() throws Exception {
        AtomicInteger rejections = new AtomicInteger();
        BalancerListener listener = new BalancerListener() {
            @Override
            public void connectionRejected(ConnectionEvent event) {
                if (rejections.getAndIncrement() == 0) {
                    throw new AssertionError("a listener's own bug");
                }
            }
        };
        try (EchoServer echo = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(echo.hostPort()).probe(null)
                     .deny("127.0.0.0/8").eventLoops(1).listener(listener).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            for (int i = 0; i < 3; i++) {
                try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                    assertEquals(-1, readOrReset(s, WAIT), "client " + i + " refused at accept");
                }
            }
            Await.until("three refusals", () -> rejections.get() == 3, WAIT);
            BalancerStats stats = lb.stats();
            assertEquals(3, stats.totalConnections(), "the listener kept accepting");
            assertEquals(3, stats.rejectedConnections());
            assertEquals(1, stats.faults());
        }
    }

    @Test
    void shouldCloseEveryFaultedPairAndKeepAcceptingInAnIpv4OnlyJvmWithAnIpv6Backend() throws Exception {
        Process child = ChildJvm.process(List.of("-Djava.net.preferIPv4Stack=true"), Ipv4OnlyChild.class.getName())
                .redirectErrorStream(true).start();
        try {
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child ended");
            String result = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no result line in:\n" + out));
            Map<String, String> figures = new java.util.HashMap<>();
            for (String pair : result.substring("RESULT ".length()).split(" ")) {
                String[] kv = pair.split("=", 2);
                figures.put(kv[0], kv[1]);
            }
            assertEquals("closed,closed,closed,closed", figures.get("clients"), out);
            assertEquals("4", figures.get("accepted"), "the listener accepted every client: " + out);
            assertEquals("0", figures.get("active"), out);
            assertEquals("0", figures.get("backendActive"), out);
            assertEquals("4", figures.get("faults"), "one fault per client: " + out);
            assertEquals(0, child.exitValue(), out);
        } finally {
            child.destroyForcibly();
        }
    }

    @ExpectFaults("event loop failed: StackOverflowError")

    @Test
    void shouldReportAnEventLoopThatEndsTurnFrontHealthDownAndStillClose() throws Exception {
        BalancerListener fatal = new BalancerListener() {
            @Override
            public void connectionOpened(ConnectionEvent event) {
                throw new StackOverflowError("simulated: a loop cannot survive this");
            }
        };
        try (EchoServer echo = EchoServer.start()) {
            Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(echo.hostPort()).probe(null)
                    .eventLoops(2).frontHealth("127.0.0.1:0").drainTimeout(Duration.ofSeconds(30))
                    .listener(fatal).build();
            try {
                lb.start();
                assertEquals(200, frontHealthStatus(lb.frontHealthAddress()));
                InetSocketAddress front = lb.addresses().get(0);
                try (Socket client = new Socket(front.getAddress(), front.getPort())) {
                    assertEquals(-1, readOrReset(client, WAIT), "the dead loop's connections are closed");
                }
                Await.until("the loop failure counted", () -> lb.stats().eventLoopFailures() == 1, WAIT);
                BalancerStats stats = lb.stats();
                assertEquals(1, stats.faults(), "counted as a fault as well");
                assertEquals(0, stats.activeConnections(), "its pairs were closed and counted");
                int status = frontHealthStatus(lb.frontHealthAddress());
                assertTrue(status == 503 || status == -1, "unhealthy (503, or refused when the health "
                        + "endpoint's own loop died): " + status);
            } finally {
                long started = System.nanoTime();
                lb.close();
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertTrue(ms < 3_000, "close() does not wait on the dead loop: " + ms + " ms");
            }
        }
    }

    @Test
    void shouldCloseAtOnceWhileTheControlThreadIsBusy() throws Exception {
        // the race behind a signal that did not end the runner: close() waited (up to 5 s) behind the
        // control thread, busy with the first MBean registration of a fresh JVM or, here, a slow rebuild
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch stuck = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger rebuilds = new AtomicInteger();
        BalancingPolicy inner = BalancingPolicy.roundRobin();
        BalancingPolicy slow = new BalancingPolicy() {
            @Override
            public String name() {
                return "slow-rebuild";
            }

            @Override
            public Selection rebuild(List<Candidate> candidates, Selection previous) {
                if (candidates.size() > 1 && rebuilds.incrementAndGet() == 1) {
                    stuck.countDown();
                    try {
                        release.await(); // interrupted by close, or released at the end of the test
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return inner.rebuild(candidates, previous);
            }
        };
        java.util.concurrent.atomic.AtomicReference<java.util.function.Consumer<List<Backend>>> sink =
                new java.util.concurrent.atomic.AtomicReference<>();
        BackendRegistry registry = snapshots -> {
            sink.set(snapshots);
            snapshots.accept(List.of(Backend.parse("127.0.0.1:9")));
        };
        Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(registry).probe(null).policy(slow)
                .eventLoops(1).build();
        try {
            lb.start();
            sink.get().accept(List.of(Backend.parse("127.0.0.1:9"), Backend.parse("127.0.0.1:10")));
            assertTrue(stuck.await(10, TimeUnit.SECONDS), "the rebuild is running");
            long started = System.nanoTime();
            lb.close();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(ms < 1_000, "close() with no connection open took " + ms + " ms");
        } finally {
            release.countDown();
            lb.close();
        }
    }

    /** The front-door endpoint's status, or -1 when it refuses the connection. */
    private static int frontHealthStatus(InetSocketAddress address) throws IOException {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout((int) WAIT.toMillis());
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(head.substring(9, 12));
        } catch (java.net.ConnectException refused) {
            return -1;
        }
    }
}
