package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.Cleanup;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.PeerServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults of one peer stay with that peer's pair: the pair is paused or closed as it should be, and an
 * unaffected pair on the same event loop keeps its bytes flowing.
 */
@ExtendWith(FaultOracle.class)
class FaultTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    @RegisterExtension
    final Cleanup cleanup = new Cleanup();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    private Socket connect(Balancer lb) throws IOException {
        return cleanup.connect(lb, WAIT);
    }

    /** Round trips on an echo pair: the unaffected connection's bytes still flow. */
    private static void assertEchoes(Socket s, String what) throws IOException {
        for (int i = 0; i < 20; i++) {
            byte[] msg = (what + i).getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(msg);
            assertArrayEquals(msg, s.getInputStream().readNBytes(msg.length), what);
        }
    }

    /** Waits until a counter stops moving for 300 ms and returns where it stopped. */
    private static long plateau(LongSupplier counter) {
        long[] last = {-1};
        long[] since = {System.nanoTime()};
        Await.until("the counter to stop growing", () -> {
            long now = counter.getAsLong();
            if (now != last[0]) {
                last[0] = now;
                since[0] = System.nanoTime();
                return false;
            }
            return System.nanoTime() - since[0] > 300_000_000L && now > 0;
        }, WAIT);
        return last[0];
    }

    @Test
    void shouldPauseTheClientNotBufferWhenTheBackendNeverReads() throws Exception {
        PeerServer deaf = cleanup.track(PeerServer.start());
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(Balancer.builder().listen("127.0.0.1:0").backend(deaf.hostPort())
                .backend(echo.hostPort()).policy(BalancingPolicy.roundRobin()).probe(null).eventLoops(1));
        Socket stuck = connect(lb);
        cleanup.track(deaf.next(WAIT)); // accepted, never read
        byte[] chunk = new byte[64 * 1024];
        long offered = 256L * chunk.length; // 16 MiB, far beyond every buffer on the way
        threads.execute(() -> {
            try {
                for (long sent = 0; sent < offered; sent += chunk.length) {
                    stuck.getOutputStream().write(chunk);
                }
            } catch (IOException e) {
                // closed at teardown
            }
        });
        long relayed = plateau(() -> lb.stats().backends().get(0).bytesToBackend());
        assertTrue(relayed < offered / 2, "relaying stopped at the kernel buffers plus one parked buffer: " + relayed);
        Socket fine = connect(lb);
        assertEchoes(fine, "unaffected");
    }

    @Test
    void shouldPauseTheBackendNotBufferWhenTheClientNeverReads() throws Exception {
        PeerServer talker = cleanup.track(PeerServer.start());
        Balancer lb = cleanup.start(Balancer.builder().listen("127.0.0.1:0").backend(talker.hostPort())
                .probe(null).eventLoops(1));
        Socket deafClient = connect(lb);
        deafClient.getOutputStream().write('x');
        Socket backend = cleanup.track(talker.next(WAIT));
        byte[] chunk = new byte[64 * 1024];
        long offered = 256L * chunk.length;
        threads.execute(() -> {
            try {
                for (long sent = 0; sent < offered; sent += chunk.length) {
                    backend.getOutputStream().write(chunk);
                }
            } catch (IOException e) {
                // closed at teardown
            }
        });
        long relayed = plateau(() -> lb.stats().backends().get(0).bytesToClient());
        assertTrue(relayed < offered / 2, "the backend is paused: " + relayed);
        Socket second = connect(lb);
        second.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
        Socket secondBackend = cleanup.track(talker.next(WAIT));
        assertArrayEquals("ping".getBytes(StandardCharsets.US_ASCII), secondBackend.getInputStream().readNBytes(4),
                "another pair on the same loop still flows");
    }

    @Test
    void shouldFailOverWhenABackendNeverAnswersTheConnect() throws Exception {
        // a listener whose accept queue is full drops further SYNs: connects to it hang
        ServerSocketChannel blackHole = cleanup.track(ServerSocketChannel.open());
        blackHole.bind(new InetSocketAddress("127.0.0.1", 0), 1);
        List<SocketChannel> fillers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            SocketChannel f = cleanup.track(SocketChannel.open());
            f.configureBlocking(false);
            f.connect(blackHole.getLocalAddress());
            fillers.add(f);
        }
        EchoServer echo = cleanup.track(EchoServer.start());
        int port = ((InetSocketAddress) blackHole.getLocalAddress()).getPort();
        Balancer lb = cleanup.start(Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + port)
                .backend(echo.hostPort()).policy(BalancingPolicy.roundRobin()).probe(null).eventLoops(1)
                .connectTimeout(Duration.ofMillis(300)));
        for (int i = 0; i < 4; i++) {
            try (Socket s = connect(lb)) {
                assertEchoes(s, "c" + i);
            }
        }
        assertEquals(4, lb.stats().backends().get(1).totalConnections(), "every client served by the live backend");
        assertTrue(lb.stats().backends().get(0).connectFailures() >= 1, "the hanging connects timed out and counted");
    }

    @Test
    void shouldKeepServingOthersWhileABackendResetsAtRandomMoments() throws Exception {
        PeerServer flaky = cleanup.track(PeerServer.start());
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(Balancer.builder().listen("127.0.0.1:0").backend(flaky.hostPort())
                .backend(echo.hostPort()).policy(BalancingPolicy.roundRobin()).probe(null).eventLoops(1));
        java.util.Random random = new java.util.Random(42);
        int resets = 0;
        for (int round = 0; round < 30; round++) {
            Socket victim = connect(lb);
            victim.getOutputStream().write(new byte[1 + random.nextInt(50_000)]);
            Socket backend = cleanup.track(flaky.next(WAIT));
            backend.getInputStream().readNBytes(1 + random.nextInt(1000));
            backend.setSoLinger(true, 0);
            backend.close();
            resets++;
            try (Socket fine = connect(lb)) {
                assertEchoes(fine, "round" + round);
            }
            int read;
            try {
                read = victim.getInputStream().read();
            } catch (java.net.SocketException reset) {
                read = -1;
            }
            assertEquals(-1, read, "the victim's connection ends");
        }
        assertEquals(30, resets);
        Await.until("every pair closed", () -> lb.stats().activeConnections() == 0, WAIT);
    }
}
