package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.EventRecorder;
import io.lb4j.testing.FaultOracle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class StatsAndEventsTest {
    private static final int CLIENTS = 24;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void shouldCountEveryByteAndConnectionExactlyUnderConcurrentLoad() throws Exception {
        EventRecorder recorder = new EventRecorder();
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .policy(BalancingPolicy.roundRobin()).probe(null).eventLoops(2).listener(recorder).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            Random random = new Random(42);
            int[] sizes = new int[CLIENTS];
            long sent = 0;
            for (int i = 0; i < CLIENTS; i++) {
                sizes[i] = 1 + random.nextInt(300_000);
                sent += sizes[i];
            }
            ExecutorService pool = Executors.newFixedThreadPool(16);
            AtomicBoolean loading = new AtomicBoolean(true);
            List<String> monotonicViolations = new ArrayList<>();
            Thread sampler = new Thread(() -> sampleWhileLoading(lb, loading, monotonicViolations));
            Map<Integer, Integer> sizeByClientPort = new HashMap<>();
            try {
                sampler.start();
                List<Future<int[]>> results = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    int size = sizes[i];
                    long seed = i;
                    results.add(pool.submit(() -> roundTrip(front, size, seed, pool)));
                }
                for (Future<int[]> r : results) {
                    int[] portAndSize = r.get(30, TimeUnit.SECONDS);
                    sizeByClientPort.put(portAndSize[0], portAndSize[1]);
                }
            } finally {
                loading.set(false);
                sampler.join(10_000);
                pool.shutdownNow();
            }
            Await.until("closed events", () -> recorder.closed.size() == CLIENTS, WAIT);
            assertEquals(List.of(), monotonicViolations);

            BalancerStats stats = lb.stats();
            assertEquals(0, stats.activeConnections());
            assertEquals(CLIENTS, stats.totalConnections());
            assertEquals(0, stats.rejectedConnections());
            assertEquals(1, stats.listeners().size());
            BalancerStats.ListenerStats listener = stats.listeners().get(0);
            assertEquals(front, listener.address());
            assertEquals(CLIENTS, listener.totalConnections());
            assertEquals(0, listener.activeConnections());
            long toBackend = 0;
            long toClient = 0;
            long connections = 0;
            for (BalancerStats.BackendStats s : stats.backends()) {
                toBackend += s.bytesToBackend();
                toClient += s.bytesToClient();
                connections += s.totalConnections();
                assertEquals(0, s.activeConnections());
                assertEquals(0, s.connectFailures());
                assertEquals(CLIENTS / 2, s.totalConnections(), "round robin splits evenly: " + s);
            }
            assertEquals(sent, toBackend);
            assertEquals(sent, toClient);
            assertEquals(CLIENTS, connections);

            assertEquals(CLIENTS, recorder.opened.size());
            assertEquals(0, recorder.rejected.size());
            for (ConnectionEvent e : recorder.opened) {
                assertNull(e.reason());
                assertNotNull(e.backend());
            }
            for (ConnectionEvent e : recorder.closed) {
                Integer size = sizeByClientPort.get(e.client().getPort());
                assertNotNull(size, "closed event for a client we did not run: " + e);
                assertEquals(size.longValue(), e.bytesToBackend(), e.toString());
                assertEquals(size.longValue(), e.bytesToClient(), e.toString());
                assertEquals("closed", e.reason());
                assertEquals(front, e.frontend());
                assertTrue(e.backend().name().equals(a.hostPort()) || e.backend().name().equals(b.hostPort()));
                assertTrue(!e.duration().isNegative());
                assertNotNull(e.time());
            }
        }
    }

    private static void sampleWhileLoading(Balancer lb, AtomicBoolean loading, List<String> violations) {
        long lastTotal = 0;
        long lastBytes = 0;
        for (int i = 0; i < 10_000 && loading.get(); i++) {
            BalancerStats s = lb.stats();
            long bytes = 0;
            for (BalancerStats.BackendStats b : s.backends()) {
                bytes += b.bytesToBackend();
            }
            if (s.totalConnections() < lastTotal || bytes < lastBytes) {
                synchronized (violations) {
                    violations.add("went down: " + lastTotal + "->" + s.totalConnections() + ", " + lastBytes
                            + "->" + bytes);
                }
            }
            lastTotal = s.totalConnections();
            lastBytes = bytes;
        }
    }

    /** Sends {@code size} seeded bytes, reads the echo, checks it; returns {local port, size}. */
    private static int[] roundTrip(InetSocketAddress front, int size, long seed, ExecutorService pool)
            throws Exception {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        try (Socket socket = new Socket(front.getAddress(), front.getPort())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    for (int off = 0; off < size; off += 8192) {
                        out.write(data, off, Math.min(8192, size - off));
                    }
                    socket.shutdownOutput();
                } catch (IOException ignored) {
                    // the read side will fail the test
                }
            });
            writer.start();
            ByteArrayOutputStream echoed = new ByteArrayOutputStream(size);
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[16384];
            int n;
            while ((n = in.read(buffer)) > 0) {
                echoed.write(buffer, 0, n);
            }
            writer.join(20_000);
            assertArrayEquals(data, echoed.toByteArray());
            return new int[] {socket.getLocalPort(), size};
        }
    }

    @Test
    void shouldReportRejectedConnectionWithReasonAndCountIt() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        EventRecorder recorder = new EventRecorder();
        try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + deadPort)
                .probe(null).connectAttempts(1).eventLoops(1).listener(recorder).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            try (Socket client = new Socket(front.getAddress(), front.getPort())) {
                client.setSoTimeout(10_000);
                assertEquals(-1, client.getInputStream().read(), "closed without a backend");
                Await.until("rejected event", () -> recorder.rejected.size() == 1, WAIT);
                ConnectionEvent e = recorder.rejected.peek();
                assertEquals("all connect attempts failed", e.reason());
                assertNull(e.backend());
                assertEquals(client.getLocalPort(), e.client().getPort());
                assertEquals(0, e.bytesToBackend());
            }
            BalancerStats stats = lb.stats();
            assertEquals(1, stats.totalConnections());
            assertEquals(0, stats.rejectedConnections(), "not refused: unserved");
            assertEquals(new BalancerStats.Unserved(0, 0, 1, 0), stats.unserved());
            assertEquals(0, stats.activeConnections());
            assertEquals(0, stats.listeners().get(0).rejectedConnections());
            assertEquals(1, stats.backends().get(0).connectFailures());
            assertEquals(0, stats.backends().get(0).totalConnections());
            assertEquals(0, recorder.opened.size());
            assertEquals(0, recorder.closed.size());
        }
    }

    @Test
    void shouldShowActiveConnectionsWhileOpen() throws Exception {
        try (EchoServer a = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).probe(null)
                     .eventLoops(2).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    Socket s = new Socket(front.getAddress(), front.getPort());
                    clients.add(s);
                    s.getOutputStream().write(1);
                    s.setSoTimeout(10_000);
                    assertEquals(1, s.getInputStream().read());
                }
                BalancerStats open = lb.stats();
                assertEquals(5, open.activeConnections());
                assertEquals(5, open.listeners().get(0).activeConnections());
                assertEquals(5, open.backends().get(0).activeConnections());
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
            Await.until("all closed", () -> lb.stats().activeConnections() == 0, WAIT);
            assertEquals(5, lb.stats().totalConnections());
        }
    }
}
