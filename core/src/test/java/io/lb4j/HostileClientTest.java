package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.Cleanup;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Clients that misbehave get what they asked for; everyone else on the same loop is served. */
@ExtendWith(FaultOracle.class)
class HostileClientTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @RegisterExtension
    final Cleanup cleanup = new Cleanup();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    private static void assertEchoes(Socket s, byte[] msg) throws IOException {
        s.getOutputStream().write(msg);
        assertArrayEquals(msg, s.getInputStream().readNBytes(msg.length));
    }

    @Test
    void shouldReclaimThousandsOfSilentClientsByIdleTimeoutWhileServingOthers() throws Exception {
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(Balancer.builder().listen("127.0.0.1:0").backend(echo.hostPort()).probe(null)
                .eventLoops(1).idleTimeout(Duration.ofSeconds(2)).jmx(false));
        InetSocketAddress front = lb.addresses().get(0);
        List<SocketChannel> silent = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            SocketChannel c = cleanup.track(SocketChannel.open(front));
            silent.add(c);
        }
        // accepted, not necessarily all open at once: on a loaded machine the first ones may reach their
        // 2 s idle timeout before the last one connects
        Await.until("every silent client accepted", () -> lb.stats().totalConnections() == 2000, WAIT);
        try (Socket busy = new Socket(front.getAddress(), front.getPort())) {
            busy.setSoTimeout(10_000);
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < end) {
                assertEchoes(busy, "still served".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            Await.until("the idle timeout reclaimed the silent ones", () -> lb.stats().activeConnections() == 1, WAIT);
        }
        ByteBuffer one = ByteBuffer.allocate(1);
        for (SocketChannel c : silent) {
            one.clear();
            int read;
            try {
                read = c.read(one);
            } catch (IOException reset) {
                read = -1;
            }
            assertEquals(-1, read, "each silent client was closed");
        }
        Await.until("backend side reclaimed too", () -> echo.open() == 0, WAIT);
    }

    @Test
    void shouldServeSlowWritersAndSlowReadersExactlyWithoutStallingOthers() throws Exception {
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(Balancer.builder().listen("127.0.0.1:0").backend(echo.hostPort()).probe(null)
                .eventLoops(1).jmx(false));
        InetSocketAddress front = lb.addresses().get(0);
        byte[] trickle = new byte[200];
        new Random(1).nextBytes(trickle);
        CompletableFuture<byte[]> slowWriter = CompletableFuture.supplyAsync(() -> {
            try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                s.setSoTimeout(20_000);
                for (byte b : trickle) {
                    s.getOutputStream().write(b);
                    Thread.sleep(5); // the behaviour under test: one byte at a time
                }
                return s.getInputStream().readNBytes(trickle.length);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, threads);
        byte[] big = new byte[4 * 1024 * 1024];
        new Random(2).nextBytes(big);
        CompletableFuture<byte[]> slowReader = CompletableFuture.supplyAsync(() -> {
            try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                s.setSoTimeout(20_000);
                CompletableFuture<Void> w = CompletableFuture.runAsync(() -> {
                    try {
                        s.getOutputStream().write(big);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }, threads);
                InputStream in = s.getInputStream();
                byte[] got = new byte[big.length];
                int at = 0;
                while (at < got.length) {
                    int n = in.read(got, at, Math.min(4096, got.length - at));
                    if (n < 0) {
                        break;
                    }
                    at += n;
                    if ((at / 4096) % 64 == 0) {
                        Thread.sleep(1); // the behaviour under test: a reader that keeps pausing
                    }
                }
                w.get(20, TimeUnit.SECONDS);
                return got;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, threads);
        try (Socket fast = new Socket(front.getAddress(), front.getPort())) {
            fast.setSoTimeout(10_000);
            while (!slowWriter.isDone() || !slowReader.isDone()) {
                assertEchoes(fast, "fast".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
        assertArrayEquals(trickle, slowWriter.get(30, TimeUnit.SECONDS), "the slow writer's bytes, exactly");
        assertArrayEquals(big, slowReader.get(30, TimeUnit.SECONDS), "the slow reader's bytes, exactly");
    }

    @Test
    void shouldCleanUpClientsThatResetWhileTheirBackendIsStillConnecting() throws Exception {
        // connects to a listener with a full accept queue hang: the pair stays in its connecting state
        ServerSocketChannel blackHole = cleanup.track(ServerSocketChannel.open());
        blackHole.bind(new InetSocketAddress("127.0.0.1", 0), 1);
        for (int i = 0; i < 8; i++) {
            SocketChannel f = cleanup.track(SocketChannel.open());
            f.configureBlocking(false);
            f.connect(blackHole.getLocalAddress());
        }
        int port = ((InetSocketAddress) blackHole.getLocalAddress()).getPort();
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + port)
                .backend(echo.hostPort()).policy(BalancingPolicy.roundRobin()).probe(null).eventLoops(1)
                .connectTimeout(Duration.ofMillis(500)).connectAttempts(1).jmx(false));
        InetSocketAddress front = lb.addresses().get(0);
        for (int i = 0; i < 200; i++) {
            Socket s = new Socket(front.getAddress(), front.getPort());
            s.setSoLinger(true, 0);
            s.close(); // reset at once, mid-connect
        }
        Await.until("every reset client's pair is gone", () -> lb.stats().activeConnections() == 0, WAIT);
        Await.until("and so is every backend connection", () -> echo.open() == 0, WAIT);
        int served = 0;
        for (int i = 0; i < 4; i++) { // round robin over the black hole and the echo server
            try (Socket next = new Socket(front.getAddress(), front.getPort())) {
                next.setSoTimeout(10_000);
                next.getOutputStream().write(7);
                if (next.getInputStream().read() == 7) {
                    served++;
                }
            } catch (java.net.SocketException reset) {
                // the black hole's turn: closed after the connect timeout
            }
        }
        assertEquals(2, served, "the balancer still serves after the storm of resets");
        assertTrue(lb.stats().totalConnections() >= 200, "all were accepted and accounted");
    }
}
